package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code image.build}: {@code suite} null for the configured default, {@code name} null for "debian". */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageBuildParams(String distro, String suite, String name) { }
