package dev.banger.daemon.image;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * One lock per image/kernel name (seed 000: a one-slot channel acquired with a select on the
 * context). Acquire is interruptible, so a caller waiting behind a long build whose own RPC
 * was cancelled leaves at once instead of queueing for work nobody will use.
 */
public final class NamedLocks {
    private final Map<String, Semaphore> locks = new ConcurrentHashMap<>();

    public AutoCloseable acquire(String name) throws InterruptedException {
        Semaphore s = locks.computeIfAbsent(name, n -> new Semaphore(1));
        s.acquire();
        return s::release;
    }
}
