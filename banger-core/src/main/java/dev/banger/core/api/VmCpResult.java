package dev.banger.core.api;

/** {@code vm.cp.in} and {@code vm.cp.out}: the guest path and the tar bytes that crossed the agent. */
public record VmCpResult(String vm, String path, long bytes) { }
