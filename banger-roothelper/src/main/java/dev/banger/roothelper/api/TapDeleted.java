package dev.banger.roothelper.api;

/** The tap name and whether it existed before the delete. */
public record TapDeleted(String vmId, String name, boolean existed) { }
