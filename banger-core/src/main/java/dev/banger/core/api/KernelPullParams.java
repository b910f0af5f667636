package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** {@code kernel.pull}: {@code catalogs} are extra catalog files (absolute) or http(s) URLs, for this call only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KernelPullParams(String name, boolean force, List<String> catalogs) { }
