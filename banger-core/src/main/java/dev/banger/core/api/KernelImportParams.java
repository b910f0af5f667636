package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code kernel.import}: exactly one of {@code deb} (package name or absolute .deb path) or {@code from} (absolute dir). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KernelImportParams(String name, String deb, String from) { }
