package dev.banger.core.api;

/** {@code daemon.stop}: the reply sent before bangerd exits. */
public record DaemonStopResult(boolean stopping, long pid) { }
