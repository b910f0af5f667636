package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.banger.core.ProgressSink;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Everything a method needs to talk back to its caller while it runs: progress (with each
 * stage's duration), other notifications, inbound notifications (exec stdin), and
 * cancellation. A cancelled call's thread is interrupted; rollback code clears the flag
 * before undoing (the seeds' detached context).
 */
public final class CallContext implements ProgressSink {
    /** Sends a notification to the caller; never throws (a gone caller is a cancelled call). */
    interface Notifier {
        void send(String method, Map<String, Object> params);
    }

    /** The request's id exactly as the client sent it (string, number or null). */
    private final JsonNode callId;
    private final Notifier notifier;
    private final long startNanos = System.nanoTime();
    private final Map<String, Consumer<JsonNode>> inbound = new ConcurrentHashMap<>();
    private final InboundMailbox mailbox = new InboundMailbox(inbound);
    private volatile boolean cancelled;
    private volatile Thread thread;
    private String currentStage;
    private long currentStageStart;

    CallContext(JsonNode callId, Notifier notifier) {
        this.callId = callId;
        this.notifier = notifier;
    }

    /** A context with nobody listening: internal work such as reconcile, and tests. */
    public static CallContext detached() {
        return new CallContext(NullNode.getInstance(), (m, p) -> { });
    }

    /** The request's id as the client sent it; notifications carry it back as {@code call_id}. */
    public JsonNode callId() {
        return callId;
    }

    @Override
    public synchronized void report(String stage, String detail) {
        long now = System.nanoTime();
        Map<String, Object> params = new java.util.LinkedHashMap<>();
        params.put("call_id", callId);
        params.put("stage", stage);
        params.put("detail", detail);
        params.put("elapsed_ms", (now - startNanos) / 1_000_000);
        if (currentStage != null && !currentStage.equals(stage)) {
            params.put("previous_stage", currentStage);
            params.put("previous_stage_ms", (now - currentStageStart) / 1_000_000);
        }
        if (!stage.equals(currentStage)) {
            currentStage = stage;
            currentStageStart = now;
        }
        notifier.send("progress", params);
    }

    public void notify(String method, Map<String, Object> params) {
        Map<String, Object> withId = new java.util.LinkedHashMap<>(params);
        withId.put("call_id", callId);
        notifier.send(method, withId);
    }

    /**
     * Registers a handler for client notifications of {@code method} that name this call.
     * Notifications that arrived before (a client streams exec stdin right after its request,
     * before the method has run this far) are kept and delivered to it in arrival order.
     */
    public void onInbound(String method, Consumer<JsonNode> handler) {
        inbound.put(method, handler);
        mailbox.handlersChanged();
    }

    /** On the connection's reader thread: never runs a handler, only queues (waits while the queue is full). */
    void deliverInbound(String method, JsonNode params) {
        mailbox.put(method, params);
    }

    /** The call has returned: nothing will register handlers any more; queued notifications are dropped. */
    void finish() {
        mailbox.close();
    }

    void bindThread(Thread t) {
        this.thread = t;
    }

    void cancel() {
        cancelled = true;
        mailbox.close();
        Runnable hook = cancelHook;
        if (hook != null) hook.run();
        Thread t = thread;
        if (t != null) t.interrupt();
    }

    private volatile Runnable cancelHook;

    /** Runs when the caller goes away, before the thread is interrupted (e.g. to signal a remote process). */
    public void onCancel(Runnable hook) {
        this.cancelHook = hook;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
