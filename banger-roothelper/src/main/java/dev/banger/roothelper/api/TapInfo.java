package dev.banger.roothelper.api;

/** A VM's tap: the name to pass to the VMM ({@code -netdev tap,ifname=...}) and the bridge it is on. */
public record TapInfo(String vmId, String name, String bridge) { }
