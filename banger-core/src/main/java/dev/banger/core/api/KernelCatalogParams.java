package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** {@code kernel.catalog}: extra catalogs as for {@code kernel.pull}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KernelCatalogParams(List<String> catalogs) { }
