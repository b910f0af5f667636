package dev.banger.daemon.vm;

/**
 * One phase of starting a VM. {@code undo} may be null (nothing to roll back) and must be
 * safe to call even when {@code run} failed half-way: it checks what was actually acquired.
 * {@code stage} is the progress stage shown to the caller (null: not user-visible).
 */
record StartStep(String name, String stage, String detail, Action run, Action undo) {
    @FunctionalInterface
    interface Action {
        void apply(StartContext ctx) throws Exception;
    }

    static StartStep of(String name, String stage, String detail, Action run) {
        return new StartStep(name, stage, detail, run, null);
    }

    StartStep withUndo(Action undoAction) {
        return new StartStep(name, stage, detail, run, undoAction);
    }
}
