package dev.banger.core.api;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code exec.output}: a chunk of the remote command's {@code stream} ("stdout" or "stderr"), base64. */
public record ExecOutput(JsonNode callId, String stream, String data) {
    public static final String STDOUT = "stdout";
    public static final String STDERR = "stderr";
}
