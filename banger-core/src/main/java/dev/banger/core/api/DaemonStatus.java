package dev.banger.core.api;

import java.time.Instant;

/** {@code daemon.status}. */
public record DaemonStatus(long pid, String version, Instant startedAt, String socket, String stateDir, int vms, long running) { }
