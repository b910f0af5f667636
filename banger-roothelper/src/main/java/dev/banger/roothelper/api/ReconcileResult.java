package dev.banger.roothelper.api;

import java.util.List;

/** The taps deleted, and one line for each stale tap that could not be (every one is tried). */
public record ReconcileResult(List<String> deleted, List<String> errors) {
    public ReconcileResult {
        deleted = List.copyOf(deleted);
        errors = List.copyOf(errors);
    }
}
