package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VmLocksTest {
    /** Regression (issue 8.5): rm dropped the VM's lock while another caller waited on it. */
    @Test
    void aRemovedVmsLockIsKeptWhileSomeoneWaitsOnIt() throws Exception {
        VmLocks locks = new VmLocks();
        CountDownLatch acquired = new CountDownLatch(1);
        Thread waiter;
        try (AutoCloseable held = locks.lockVm("0123456789abcdef")) {
            waiter = Thread.ofVirtual().start(() -> {
                try (AutoCloseable mine = locks.lockVm("0123456789abcdef")) {
                    acquired.countDown();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            while (waiter.getState() != Thread.State.WAITING) Thread.sleep(1);
            locks.forgetUnlessWaitedOn("0123456789abcdef");
            assertThat(locks.tracks("0123456789abcdef")).as("a lock with a waiter is not forgotten").isTrue();
        }
        assertThat(acquired.await(5, TimeUnit.SECONDS)).isTrue();
        waiter.join();
        locks.forgetUnlessWaitedOn("0123456789abcdef");
        assertThat(locks.tracks("0123456789abcdef")).as("nobody waits any more: forgotten").isFalse();
    }
}
