package dev.banger.core.api;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code exec.resize}: the caller's terminal is now {@code rows} × {@code cols}. */
public record ExecResize(JsonNode callId, int rows, int cols) { }
