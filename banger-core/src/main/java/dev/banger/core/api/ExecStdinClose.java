package dev.banger.core.api;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code exec.stdin_close}: the caller's stdin ended. */
public record ExecStdinClose(JsonNode callId) { }
