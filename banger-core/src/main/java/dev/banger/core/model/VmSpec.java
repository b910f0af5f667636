package dev.banger.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.banger.core.rpc.RpcException;
import java.util.List;

/**
 * What the user asked for; fixed at create time except {@code portForwards}, which
 * {@code vm port add|rm} change. Its checks are input checks: they refuse with invalid params.
 * {@code port_forwards} is left out of the JSON when empty, so a VM without forwards has the shape
 * it always had, and a row written before forwards existed reads as none. {@code nat}: a bridged VM
 * reaches the outside through the host (the root helper's masquerade); left out of the JSON when off.
 */
public record VmSpec(int vcpu, int memoryMib, long workDiskBytes,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<PortForward> portForwards,
                     @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean nat) {
    public static final int DEFAULT_VCPU = 1;
    public static final int DEFAULT_MEMORY_MIB = 512;
    public static final long DEFAULT_WORK_DISK_BYTES = 2L << 30;

    public VmSpec {
        if (vcpu <= 0) throw RpcException.invalid("vcpu must be a positive integer");
        if (memoryMib <= 0) throw RpcException.invalid("memory must be a positive integer");
        if (workDiskBytes < (16L << 20)) throw RpcException.invalid("disk size must be at least 16M");
        portForwards = portForwards == null ? List.of() : List.copyOf(portForwards);
    }

    public VmSpec(int vcpu, int memoryMib, long workDiskBytes) {
        this(vcpu, memoryMib, workDiskBytes, List.of(), false);
    }

    public VmSpec(int vcpu, int memoryMib, long workDiskBytes, List<PortForward> portForwards) {
        this(vcpu, memoryMib, workDiskBytes, portForwards, false);
    }

    public VmSpec withPortForwards(List<PortForward> forwards) {
        return new VmSpec(vcpu, memoryMib, workDiskBytes, forwards, nat);
    }
}
