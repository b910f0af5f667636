package dev.banger.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.banger.core.ProgressSink;
import dev.banger.core.api.Notification;
import dev.banger.core.api.Notifications;
import dev.banger.core.api.ProgressNote;
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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CallContext.class);
    /** Sends a notification to the caller; never throws (a gone caller is a cancelled call). */
    interface Notifier {
        void send(String method, Object params);
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
    public void report(String stage, String detail) {
        send(stage, detail, null, null);
    }

    @Override
    public void report(String stage, String detail, long bytesDone, long bytesTotal) {
        send(stage, detail, bytesDone, bytesTotal >= 0 ? bytesTotal : null);
    }

    private synchronized void send(String stage, String detail, Long bytesDone, Long bytesTotal) {
        long now = System.nanoTime();
        boolean changed = currentStage != null && !currentStage.equals(stage);
        ProgressNote note = new ProgressNote(callId, stage, detail, (now - startNanos) / 1_000_000,
                changed ? currentStage : null, changed ? (now - currentStageStart) / 1_000_000 : null, bytesDone, bytesTotal);
        if (!stage.equals(currentStage)) {
            currentStage = stage;
            currentStageStart = now;
        }
        notify(Notifications.PROGRESS, note);
    }

    /** A typed notification to the caller; its record carries {@link #callId()}. */
    public <T> void notify(Notification<T> notification, T params) {
        notifier.send(notification.name(), params);
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

    /** {@link #onInbound(String, Consumer)} for a typed notification; one whose params do not decode is dropped. */
    public <T> void onInbound(Notification<T> notification, Consumer<T> handler) {
        onInbound(notification.name(), params -> {
            T decoded;
            try {
                decoded = notification.decode(params);
            } catch (java.io.IOException | IllegalArgumentException e) {
                LOG.debug("dropped a malformed {} notification: {}", notification.name(), e.getMessage());
                return;
            }
            handler.accept(decoded);
        });
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
