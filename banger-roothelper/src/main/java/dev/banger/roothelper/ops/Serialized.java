package dev.banger.roothelper.ops;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/** One lock around an area's operations (bridge and taps, NAT, DNS), so a check and the change it guards happen together. */
final class Serialized {
    private final ReentrantLock lock = new ReentrantLock();

    <T> T run(Supplier<T> operation) {
        lock.lock();
        try {
            return operation.get();
        } finally {
            lock.unlock();
        }
    }
}
