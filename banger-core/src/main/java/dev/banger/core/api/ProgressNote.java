package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code progress}: the call (its request id exactly as sent) entered {@code stage}. When the stage
 * changed, {@code previousStageMs} is how long the previous one took.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProgressNote(JsonNode callId, String stage, String detail, long elapsedMs, String previousStage, Long previousStageMs) { }
