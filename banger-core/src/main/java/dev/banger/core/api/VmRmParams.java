package dev.banger.core.api;

/** {@code vm.rm}: {@code force} kills a running VM first. */
public record VmRmParams(String vm, boolean force) { }
