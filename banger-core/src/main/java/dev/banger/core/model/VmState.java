package dev.banger.core.model;

import com.fasterxml.jackson.annotation.JsonValue;

/** Lifecycle state of a VM as stored and shown to users. */
public enum VmState {
    CREATED, STARTING, STOPPED, RUNNING, ERROR;

    @JsonValue
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static VmState fromWire(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
