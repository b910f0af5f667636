package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * {@code vm.resize}: grows a stopped VM's root disk ({@code rootSize}) and/or work disk
 * ({@code diskSize}), sizes as {@code vm.create} takes them ("16G"); null leaves that disk as it is.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmResizeParams(String vm, String rootSize, String diskSize) { }
