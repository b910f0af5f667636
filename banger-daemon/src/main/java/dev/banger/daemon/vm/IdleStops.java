package dev.banger.daemon.vm;

import dev.banger.core.model.Durations;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.daemon.vmm.VmmProcess;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idle-stop poller: one virtual thread that, every poll interval, samples each running VM that
 * has an idle stop (its open exec sessions, its open TCP connections, its VMM's CPU since the last
 * poll), asks {@link IdleRule} and stops the idle ones through the normal stop path
 * ({@link VmService#stopIfIdle}: the VM's lock, the graceful shutdown, the teardown), recording why in
 * {@code last_error}. It also publishes each VM's stop time for {@code vm show}.
 */
public final class IdleStops {
    private static final Logger LOG = LoggerFactory.getLogger(IdleStops.class);

    private static final int MAX_TCP_TABLE = 1 << 20;
    private static final Duration GUEST_READ_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The guest's {@code /proc/net/tcp} and {@code tcp6} text ({@link GuestTcpTable#READ}). Its own
     * agent exec, which is not counted as exec activity (it is the poller's, not a user's).
     */
    interface GuestSockets {
        String read(VmRecord vm) throws Exception;
    }

    private final VmService vms;
    private final GuestSockets guestSockets;
    private final double cpuThresholdPercent;
    private final Duration poll;
    private final Duration stopTimeout;
    private final Clock clock;
    private final Map<String, Tracked> tracked = new ConcurrentHashMap<>();
    private volatile Thread thread;

    /** Per VM between polls: when it was last active, and the previous CPU sample. */
    private record Tracked(Instant lastActive, long pid, long cpuTicks, long sampledNanos) { }

    public IdleStops(VmService vms, VmExec exec, double cpuThresholdPercent, Duration poll, Duration stopTimeout, Clock clock) {
        this(vms, vm -> new String(exec.capture(vm, GuestTcpTable.READ, MAX_TCP_TABLE, GUEST_READ_TIMEOUT).stdout(),
                java.nio.charset.StandardCharsets.US_ASCII), cpuThresholdPercent, poll, stopTimeout, clock);
    }

    IdleStops(VmService vms, GuestSockets guestSockets, double cpuThresholdPercent, Duration poll, Duration stopTimeout, Clock clock) {
        this.vms = vms;
        this.guestSockets = guestSockets;
        this.cpuThresholdPercent = cpuThresholdPercent;
        this.poll = poll;
        this.stopTimeout = stopTimeout;
        this.clock = clock;
    }

    public void start() {
        thread = Thread.ofVirtual().name("idle-stops").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    pollOnce();
                    Thread.sleep(poll);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // one bad poll (a store read, say) must not end the poller
                    LOG.warn("idle stop poll failed: {}", e.toString());
                    try {
                        Thread.sleep(poll);
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        });
    }

    public void close() {
        Thread t = thread;
        if (t != null) t.interrupt();
    }

    void pollOnce() throws Exception {
        Set<String> seen = new HashSet<>();
        for (VmRecord vm : vms.list()) {
            if (vm.state() != VmState.RUNNING || vm.spec().idleStopSeconds() <= 0) continue;
            seen.add(vm.id());
            try {
                check(vm);
            } catch (Exception e) {
                LOG.warn("idle stop: checking vm {} failed: {}", vm.name(), e.toString());
            }
        }
        for (String id : Set.copyOf(tracked.keySet())) {
            if (!seen.contains(id)) {
                tracked.remove(id);
                vms.activity().setStopAt(id, null);
            }
        }
    }

    private void check(VmRecord vm) throws Exception {
        Instant now = clock.instant();
        Tracked before = tracked.get(vm.id());
        VmmProcess process = vms.vmmProcess(vm).orElse(null);
        long nanos = System.nanoTime();
        long ticks = process == null ? -1 : cpuTicks(process);
        Double cpu = null;
        if (before != null && process != null && ticks >= 0 && before.pid() == process.pid() && before.cpuTicks() >= 0) {
            cpu = ProcStat.percent(before.cpuTicks(), ticks, nanos - before.sampledNanos());
        }
        OptionalInt connections = openConnections(vm);
        VmActivity activity = vms.activity();
        IdleRule.Sample sample = new IdleRule.Sample(activity.openExecs(vm.id()), activity.lastExecEnded(vm.id()).orElse(null),
                connections.orElse(-1), cpu);
        Duration idleStop = Duration.ofSeconds(vm.spec().idleStopSeconds());
        IdleRule.Verdict v = IdleRule.judge(before == null ? null : before.lastActive(), now, sample, cpuThresholdPercent, idleStop);
        tracked.put(vm.id(), new Tracked(v.lastActive(), process == null ? -1 : process.pid(), ticks, nanos));
        activity.setStopAt(vm.id(), v.stopAt());
        if (!v.stop()) return;
        String reason = "stopped by idle stop: no exec session, TCP connection or CPU use of "
                + cpuThresholdPercent + "% or more for " + Durations.format(vm.spec().idleStopSeconds());
        LOG.info("vm {}: idle since {} (idle stop {}); stopping it", vm.name(), v.lastActive(), Durations.format(vm.spec().idleStopSeconds()));
        // An exec that began after this sample must keep the VM: checked again under the VM's lock.
        boolean stopped = vms.stopIfIdle(vm.id(), stopTimeout, reason, locked -> activity.openExecs(locked.id()) == 0);
        if (stopped) {
            tracked.remove(vm.id());
            activity.setStopAt(vm.id(), null);
            LOG.info("vm {}: {}", vm.name(), reason);
        }
    }

    /**
     * Rootless: the connections QEMU's user network has open (every connection from the host comes
     * through it). Bridged: the host reaches the guest's address directly, past any bangerd code, so
     * the guest's own socket table is read: connections into a port it listens on, from outside it.
     * -1 when neither can be told (the poll then goes by exec sessions and CPU).
     */
    private OptionalInt openConnections(VmRecord vm) throws Exception {
        if (vm.runtime() == null || !vm.runtime().bridged()) return vms.openConnections(vm);
        try {
            return OptionalInt.of(GuestTcpTable.parse(guestSockets.read(vm)).inboundConnections());
        } catch (java.util.concurrent.TimeoutException slow) {
            return OptionalInt.empty();   // a guest too busy to answer is busy: its CPU says so
        }
    }

    /** The VMM's CPU ticks, or -1 when its /proc entry is gone or the PID is no longer this VM's. */
    private static long cpuTicks(VmmProcess process) {
        try {
            return ProcStat.cpuTicks(process).orElse(-1);
        } catch (IllegalArgumentException unparseable) {
            return -1;
        }
    }
}
