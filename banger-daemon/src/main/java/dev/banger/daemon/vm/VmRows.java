package dev.banger.daemon.vm;

import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.store.Store;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The VM rows as the lifecycle classes read and write them: lookup by reference, reload, mark stopped. */
final class VmRows {
    private final Store store;

    VmRows(Store store) {
        this.store = store;
    }

    Store store() {
        return store;
    }

    /** By exact name, then exact id, then unique id prefix. */
    VmRecord find(String ref) {
        if (ref == null || ref.isBlank()) throw RpcException.invalid("vm name or id is required");
        Optional<VmRecord> byName = store.vmByName(ref);
        if (byName.isPresent()) return byName.get();
        Optional<VmRecord> byId = store.vmById(ref);
        if (byId.isPresent()) return byId.get();
        if (ref.matches("[0-9a-f]{1,16}")) {
            List<VmRecord> prefixed = store.vmsByIdPrefix(ref);
            if (prefixed.size() == 1) return prefixed.getFirst();
            if (prefixed.size() > 1) throw RpcException.invalid("vm id prefix " + ref + " is ambiguous");
        }
        throw RpcException.notFound("no such vm: " + ref);
    }

    VmRecord reload(String id) {
        return store.vmById(id).orElseThrow(() -> RpcException.notFound("vm " + id + " was removed"));
    }

    /** Re-read, then written as stopped with its process fields cleared and {@code error} as last_error. */
    VmRecord markStopped(VmRecord vm, String error) {
        VmRecord current = reload(vm.id());
        VmRecord stopped = new VmRecord(current.id(), current.name(), current.imageId(), VmState.STOPPED, current.createdAt(),
                Instant.now(), current.spec(), current.runtime().stopped().withLastError(error));
        store.upsertVm(stopped);
        return stopped;
    }

    /** Like {@link #markStopped}, in state error: a start that failed and was rolled back. */
    VmRecord markFailed(String id, String error) {
        VmRecord failed = reload(id);
        VmRecord marked = new VmRecord(failed.id(), failed.name(), failed.imageId(), VmState.ERROR,
                failed.createdAt(), Instant.now(), failed.spec(), failed.runtime().stopped().withLastError(error));
        store.upsertVm(marked);
        return marked;
    }
}
