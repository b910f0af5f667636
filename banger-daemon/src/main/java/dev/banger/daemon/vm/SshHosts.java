package dev.banger.daemon.vm;

import dev.banger.core.api.VmSshHost;
import dev.banger.core.api.VmSshHosts;
import dev.banger.core.api.VmSshHostsParams;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code vm.ssh.hosts}: where each running VM's sshd is and its host keys, taken from the guest over
 * the agent (never from the network, so there is nothing to trust on first use), and the managed
 * known_hosts that {@code banger ssh-config} and {@code vm ssh} point ssh at with
 * StrictHostKeyChecking yes. sshd makes its keys a moment after the agent is ready, so the keys of
 * the VMs asked for are polled for, all at once, up to {@link #KEY_WAIT}.
 */
public final class SshHosts {
    static final Duration KEY_WAIT = Duration.ofSeconds(60);
    static final Duration POLL = Duration.ofMillis(500);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_KEYS_OUTPUT = 64 * 1024;
    private static final int MAX_LISTENERS_OUTPUT = 1 << 20;

    /** What this class needs of the VMs: the seam its tests replace. */
    interface Guests {
        List<VmRecord> list();

        /** The VM by name, id or prefix; not found or not running is the caller's error. */
        VmRecord requireRunning(String ref);

        /** What {@link GuestHostKeys#READ} prints in the guest. */
        String readHostKeys(VmRecord vm) throws Exception;

        /** What {@link #READ_LISTENERS} prints in the guest. */
        String readListeners(VmRecord vm) throws Exception;
    }

    /** The guest's TCP sockets, to see sshd listening. */
    static final List<String> READ_LISTENERS = GuestTcpTable.READ;

    private final Guests guests;
    private final Path knownHosts;
    private final Path identityFile;
    private final Duration wait;
    private final Duration poll;
    /** The keys last read of each running VM, by id: the VMs not asked for keep their lines in the file. */
    private final Map<String, List<String>> lastKeys = new ConcurrentHashMap<>();
    private final ReentrantLock fileLock = new ReentrantLock();

    /** {@code sshDir}: banger's {@code <state>/ssh}, where its key pair is and the known_hosts file goes. */
    public SshHosts(VmService vms, VmExec exec, Path sshDir) {
        this(new Guests() {
            @Override
            public List<VmRecord> list() {
                return vms.list();
            }

            @Override
            public VmRecord requireRunning(String ref) {
                return vms.requireRunning(ref);
            }

            @Override
            public String readHostKeys(VmRecord vm) throws Exception {
                // cat exits 1 when some type is missing; what it printed still counts
                return new String(exec.capture(vm, GuestHostKeys.READ, MAX_KEYS_OUTPUT, READ_TIMEOUT).stdout(), StandardCharsets.UTF_8);
            }

            @Override
            public String readListeners(VmRecord vm) throws Exception {
                return new String(exec.capture(vm, READ_LISTENERS, MAX_LISTENERS_OUTPUT, READ_TIMEOUT).stdout(), StandardCharsets.US_ASCII);
            }
        }, sshDir, KEY_WAIT, POLL);
    }

    SshHosts(Guests guests, Path sshDir, Duration wait, Duration poll) {
        this.guests = guests;
        this.knownHosts = sshDir.toAbsolutePath().normalize().resolve("known_hosts");
        this.identityFile = sshDir.toAbsolutePath().normalize().resolve("id_ed25519");
        this.wait = wait;
        this.poll = poll;
    }

    public VmSshHosts call(VmSshHostsParams p) throws Exception {
        List<String> refs = p == null || p.vms() == null ? List.of() : p.vms();
        Map<String, VmRecord> asked = new LinkedHashMap<>();
        if (refs.isEmpty()) {
            for (VmRecord vm : guests.list()) {
                if (vm.state() != VmState.RUNNING) continue;
                try {
                    asked.put(vm.id(), guests.requireRunning(vm.id()));   // a row that says running but whose VMM is gone is not
                } catch (RpcException notRunning) {
                    // stopped or removed meanwhile: not a running VM
                }
            }
        } else {
            for (String ref : refs) {
                if (ref == null || ref.isBlank()) throw RpcException.invalid("invalid params: a VM name must not be empty");
                VmRecord vm = guests.requireRunning(ref);
                asked.putIfAbsent(vm.id(), vm);
            }
        }
        List<VmRecord> order = List.copyOf(asked.values());
        List<VmSshHost> hosts = new ArrayList<>();
        // One virtual thread per VM: a VM whose sshd is slow does not hold up the others. Closing the
        // executor waits for them; an interrupted caller (a client gone) interrupts them.
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<VmSshHost>> reads = new ArrayList<>();
            for (VmRecord vm : order) reads.add(pool.submit(() -> read(vm)));
            for (Future<VmSshHost> f : reads) {
                try {
                    hosts.add(f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception c ? c : e;
                }
            }
        }
        for (int i = 0; i < hosts.size(); i++) {
            String id = order.get(i).id();
            if (hosts.get(i).error() == null) lastKeys.put(id, hosts.get(i).hostKeys());
            else lastKeys.remove(id);
        }
        writeFile();
        hosts.sort(Comparator.comparing(VmSshHost::vm));
        return new VmSshHosts(knownHosts.toString(), identityFile.toString(), hosts);
    }

    /**
     * Polls the guest for its keys until they settle, then until sshd listens on port 22 (it starts
     * right after making them; a connection before that is reset), within the one wait. Keys
     * that settled are the answer even if sshd is still not listening when the wait is spent; no
     * keys by then is this VM's error. The VM going away ends it early.
     */
    private VmSshHost read(VmRecord vm) throws InterruptedException {
        VmSshHost where = endpoint(vm, List.of(), null);
        if (where == null) return new VmSshHost(vm.name(), null, 0, null, List.of(), "vm " + vm.name() + " has no SSH address");
        long deadline = System.nanoTime() + wait.toNanos();
        List<String> previous = null;
        List<String> settled = null;
        String lastFailure = null;
        while (true) {
            List<String> keys = List.of();
            try {
                if (settled == null) {
                    keys = GuestHostKeys.parse(guests.readHostKeys(vm));
                    if (GuestHostKeys.settled(keys, previous)) settled = keys;
                }
                if (settled != null && listeningOnSsh(guests.readListeners(vm))) return endpoint(vm, settled, null);
                lastFailure = null;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                lastFailure = e.getMessage();
            }
            if (System.nanoTime() - deadline >= 0) {
                if (settled != null) return endpoint(vm, settled, null);
                if (!keys.isEmpty()) return endpoint(vm, keys, null);   // still changing: what there is
                return endpoint(vm, List.of(), "vm " + vm.name() + ": sshd made no host keys in /etc/ssh within " + wait.toSeconds() + " s"
                        + (lastFailure == null ? "" : " (last read: " + lastFailure + ")"));
            }
            previous = keys;
            Thread.sleep(poll);
            try {
                guests.requireRunning(vm.id());
            } catch (RpcException gone) {
                return endpoint(vm, List.of(), gone.getMessage());
            }
        }
    }

    /** Whether {@code /proc/net/tcp}-style text has a socket in state LISTEN on local port 22 (any address). */
    static boolean listeningOnSsh(String procNetTcp) {
        return GuestTcpTable.parse(procNetTcp).listensOn(22);
    }

    /** Where the VM's sshd is reached; null when it has no such address (not running, no forward). */
    static VmSshHost endpoint(VmRecord vm, List<String> keys, String error) {
        VmRuntime rt = vm.runtime();
        if (rt == null) return null;
        if (rt.bridged()) {
            return rt.guestIp() == null ? null : new VmSshHost(vm.name(), rt.guestIp(), 22, rt.dnsName(), keys, error);
        }
        return rt.sshPort() == null || rt.sshPort() == 0 ? null : new VmSshHost(vm.name(), "127.0.0.1", rt.sshPort(), null, keys, error);
    }

    /** Every running VM whose keys were read, under the lock: two calls at once must not interleave their renames out of order. */
    private void writeFile() throws java.io.IOException {
        fileLock.lock();
        try {
            List<VmSshHost> lines = new ArrayList<>();
            List<String> running = new ArrayList<>();
            for (VmRecord vm : guests.list()) {
                if (vm.state() != VmState.RUNNING) continue;
                running.add(vm.id());
                List<String> keys = lastKeys.get(vm.id());
                VmSshHost h = keys == null ? null : endpoint(vm, keys, null);
                if (h != null) lines.add(h);
            }
            lastKeys.keySet().retainAll(running);
            KnownHostsFile.write(knownHosts, KnownHostsFile.render(lines));
        } finally {
            fileLock.unlock();
        }
    }
}
