package dev.banger.core.api;

/**
 * {@code vm.cp.out}: the guest's {@code path} (absolute) is streamed back as a tar ({@code exec.output}
 * chunks on {@code stdout}) whose one top-level entry is the path's last component. A directory needs
 * {@code recursive}.
 */
public record VmCpOutParams(String vm, String path, boolean recursive) { }
