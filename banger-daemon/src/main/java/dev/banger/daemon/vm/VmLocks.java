package dev.banger.daemon.vm;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The two lock levels of seed 000: one narrow lock for name + IP reservation, and one lock
 * per VM for everything slow. Parallel creates of different VMs only meet in the narrow one.
 */
final class VmLocks {
    final ReentrantLock reservation = new ReentrantLock();
    private final Map<String, ReentrantLock> perVm = new ConcurrentHashMap<>();

    /** A held VM lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Acquires the VM's lock; interruptible so a cancelled caller does not queue forever. */
    Held lockVm(String vmId) throws InterruptedException {
        ReentrantLock lock = perVm.computeIfAbsent(vmId, id -> new ReentrantLock());
        lock.lockInterruptibly();
        return lock::unlock;
    }

    /**
     * Drops a removed VM's lock so the map does not grow forever, but never while another caller
     * waits on it: that caller would then hold a lock no one else sees, and two operations could
     * run on one VM at once. A waiter left with the lock finds the VM gone when it reloads it.
     */
    void forgetUnlessWaitedOn(String vmId) {
        perVm.computeIfPresent(vmId, (id, lock) -> lock.hasQueuedThreads() ? lock : null);
    }

    /** Tests: whether a lock for this VM is still tracked. */
    boolean tracks(String vmId) {
        return perVm.containsKey(vmId);
    }
}
