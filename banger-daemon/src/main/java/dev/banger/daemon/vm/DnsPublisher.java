package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.daemon.host.HostOperations;
import dev.banger.daemon.store.Store;
import dev.banger.roothelper.api.DnsRecord;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Rebuilds every {@code <name>.vm} record from the store and sends the whole set (seed 001's
 * rebuildDNS): the running bridged VMs, plus the one whose start is finishing, minus the one being
 * torn down. The set is computed and sent under one lock, so the last change always wins.
 */
public final class DnsPublisher {
    private final Store store;
    private final HostOperations host;
    private final ReentrantLock lock = new ReentrantLock();

    public DnsPublisher(Store store, HostOperations host) {
        this.store = store;
        this.host = host;
    }

    /** {@code starting}: a VM not marked running yet whose record belongs in the set (null for none). */
    void publishIncluding(String starting) throws IOException {
        publish(starting, null);
    }

    void publishExcluding(String goingAway) throws IOException {
        publish(null, goingAway);
    }

    private void publish(String include, String exclude) throws IOException {
        lock.lock();
        try {
            List<DnsRecord> records = store.listVms().stream()
                    .filter(vm -> vm.runtime() != null && vm.runtime().bridged() && vm.runtime().guestIp() != null)
                    .filter(vm -> vm.state() == VmState.RUNNING || vm.id().equals(include))
                    .filter(vm -> !Objects.equals(vm.id(), exclude))
                    .map(vm -> new DnsRecord(vm.name(), vm.id(), vm.runtime().guestIp()))
                    .toList();
            host.setDnsRecords(records);
        } finally {
            lock.unlock();
        }
    }
}
