package dev.banger.roothelper.api;

public record NatDisabled(String vmId, boolean existed) { }
