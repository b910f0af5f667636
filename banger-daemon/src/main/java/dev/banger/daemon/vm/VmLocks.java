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

    /** Acquires the VM's lock; interruptible so a cancelled caller does not queue forever. */
    AutoCloseable lockVm(String vmId) throws InterruptedException {
        ReentrantLock lock = perVm.computeIfAbsent(vmId, id -> new ReentrantLock());
        lock.lockInterruptibly();
        return lock::unlock;
    }

    void forget(String vmId) {
        perVm.remove(vmId);
    }
}
