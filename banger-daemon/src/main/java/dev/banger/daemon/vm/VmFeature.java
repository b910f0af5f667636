package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import java.util.List;

/**
 * Something a VM has beside its VMM, disks and agent (the SSH forward today; taps, DNS names, port
 * forwards later). The start steps and teardown call every registered feature (the list given to
 * {@link VmService}, built in Bangerd); adding one touches no pipeline code:
 * <ul>
 * <li>{@link #prepare} and then {@link #contribute} run inside the {@code host_features} step, every
 *     feature's prepare before any contribute, in registration order;</li>
 * <li>{@link #postStart} runs inside {@code wait_agent}, once the agent has answered;</li>
 * <li>{@link #cleanup} runs, in reverse registration order, in every teardown (stop, kill, rm,
 *     reconcile, the exit watcher, and the {@code cleanup_runtime} step that opens each start) after
 *     the VMM is gone, and at the end of the rollback of every failed start, whichever step failed.
 *     It must be idempotent: a no-op when there is nothing to undo.</li>
 * <li>{@link #reconcile} runs once at bangerd's start, after every VM has been reconciled, with the
 *     VMs that are running: the feature removes what the host still holds for any other VM.</li>
 * </ul>
 */
public interface VmFeature {
    /** Shown in errors: "feature NAME: ...". */
    String name();

    /** Host side, before boot. */
    default void prepare(VmRecord vm) throws Exception { }

    /** Adds what the feature needs to the machine about to be launched. */
    default void contribute(VmRecord vm, MachineDraft machine) throws Exception { }

    /** The guest's agent is ready. */
    default void postStart(VmRecord vm) throws Exception { }

    /** Undoes whatever prepare (or an earlier run) left on the host; a no-op when there is nothing. */
    default void cleanup(VmRecord vm) throws Exception { }

    /** After bangerd's start-up reconcile; returns one line per thing removed or not removable, for the log. */
    default List<String> reconcile(List<VmRecord> running) throws Exception {
        return List.of();
    }
}
