package dev.banger.core.api;

/**
 * {@code vm.cp.in}: a tar stream (sent as {@code exec.stdin} chunks, ended by {@code exec.stdin_close}) is
 * unpacked in the guest at {@code path} (absolute). {@code name}: the stream's single top-level entry, which
 * lands at {@code path} itself when {@code path} is not an existing directory (a copy under a new name);
 * null when the stream may hold several entries, and then {@code path} must be an existing directory.
 */
public record VmCpInParams(String vm, String path, String name) { }
