package dev.banger.core.model;

import java.time.Instant;

public record VmRecord(String id, String name, String imageId, VmState state, Instant createdAt,
                       Instant updatedAt, VmSpec spec, VmRuntime runtime) {

    public VmRecord withState(VmState newState) {
        return new VmRecord(id, name, imageId, newState, createdAt, Instant.now(), spec, runtime);
    }

    public VmRecord withSpec(VmSpec newSpec) {
        return new VmRecord(id, name, imageId, state, createdAt, Instant.now(), newSpec, runtime);
    }

    public VmRecord withRuntime(VmRuntime newRuntime) {
        return new VmRecord(id, name, imageId, state, createdAt, Instant.now(), spec, newRuntime);
    }
}
