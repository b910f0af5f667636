package dev.banger.core.api;

/** {@code vm.logs}: the VM's name and its console log file (the CLI reads and follows it). */
public record VmLogsResult(String vm, String path) { }
