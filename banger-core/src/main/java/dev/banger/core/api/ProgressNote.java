package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code progress}: the call (its request id exactly as sent) entered {@code stage}, or reports on
 * it again. When the stage changed, {@code previousStageMs} is how long the previous one took.
 * {@code bytesDone} and {@code bytesTotal} are there when the stage moves bytes (downloads): the
 * total is absent when unknown.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProgressNote(JsonNode callId, String stage, String detail, long elapsedMs, String previousStage, Long previousStageMs,
                           Long bytesDone, Long bytesTotal) {
    public ProgressNote(JsonNode callId, String stage, String detail, long elapsedMs, String previousStage, Long previousStageMs) {
        this(callId, stage, detail, elapsedMs, previousStage, previousStageMs, null, null);
    }
}
