package dev.banger.core.api;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code exec.stdin}: bytes (base64) for the stdin of the pending call {@code callId}. */
public record ExecStdin(JsonNode callId, String data) { }
