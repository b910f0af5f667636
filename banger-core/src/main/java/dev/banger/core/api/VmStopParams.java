package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code vm.stop} and {@code vm.restart}: {@code timeoutSeconds} null for the configured default. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmStopParams(String vm, Integer timeoutSeconds) { }
