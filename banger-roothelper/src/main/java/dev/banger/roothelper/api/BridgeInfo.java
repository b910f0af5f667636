package dev.banger.roothelper.api;

/** The bridge as it now is: its name, subnet (CIDR), address (the gateway, .1) and MAC. */
public record BridgeInfo(String name, String subnet, String address, String mac) { }
