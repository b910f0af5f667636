package dev.banger.roothelper.api;

/** Which banger the helper is: answered from its own jar, changes nothing on the host. */
public record Version() implements HelperRequest { }
