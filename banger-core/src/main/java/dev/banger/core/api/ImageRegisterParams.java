package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code image.register}: {@code rootfs} an absolute path; {@code kernelRef} null for the default kernel. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageRegisterParams(String name, String rootfs, String kernelRef) { }
