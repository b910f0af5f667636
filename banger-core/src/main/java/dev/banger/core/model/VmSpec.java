package dev.banger.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.banger.core.rpc.RpcException;
import java.util.List;

/**
 * What the user asked for; fixed at create time except {@code portForwards}, which
 * {@code vm port add|rm} change, and the two disk sizes, which {@code vm resize} grows. Its checks
 * are input checks: they refuse with invalid params.
 * {@code port_forwards} is left out of the JSON when empty, so a VM without forwards has the shape
 * it always had, and a row written before forwards existed reads as none.
 * {@code rootDiskBytes} is the guest's root filesystem size (the root disk's virtual size; sparse on
 * the host). A row written before root sizes existed has none and reads as 0, which means "the
 * image's own size" (what such a VM's root disk was made with); 0 is left out of the JSON.
 * {@code nat}: a bridged VM reaches the outside through the host (the root helper's masquerade);
 * left out of the JSON when off.
 * {@code idleStopSeconds}: bangerd stops the running VM once it has been idle this long
 * (docs/configuration.md, "Idle stop"); 0 is off and left out of the JSON, so rows written before
 * idle stops existed read as off.
 */
public record VmSpec(int vcpu, int memoryMib, long workDiskBytes,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<PortForward> portForwards,
                     @JsonInclude(JsonInclude.Include.NON_DEFAULT) long rootDiskBytes,
                     @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean nat,
                     @JsonInclude(JsonInclude.Include.NON_DEFAULT) long idleStopSeconds) {
    public static final int DEFAULT_VCPU = 1;
    public static final int DEFAULT_MEMORY_MIB = 512;
    public static final long DEFAULT_WORK_DISK_BYTES = 2L << 30;
    public static final long DEFAULT_ROOT_DISK_BYTES = 8L << 30;

    public VmSpec {
        if (vcpu <= 0) throw RpcException.invalid("vcpu must be a positive integer");
        if (memoryMib <= 0) throw RpcException.invalid("memory must be a positive integer");
        if (workDiskBytes < (16L << 20)) throw RpcException.invalid("disk size must be at least 16M");
        if (rootDiskBytes < 0) throw RpcException.invalid("root size must not be negative");
        if (idleStopSeconds < 0 || idleStopSeconds > Durations.MAX_SECONDS) {
            throw RpcException.invalid("idle stop must be between 1 s and 30 days, or off");
        }
        portForwards = portForwards == null ? List.of() : List.copyOf(portForwards);
    }

    public VmSpec(int vcpu, int memoryMib, long workDiskBytes) {
        this(vcpu, memoryMib, workDiskBytes, List.of(), 0, false, 0);
    }

    /** Without a root size (the image's own, as before root sizes existed). */
    public VmSpec(int vcpu, int memoryMib, long workDiskBytes, List<PortForward> portForwards) {
        this(vcpu, memoryMib, workDiskBytes, portForwards, 0, false, 0);
    }

    public VmSpec(int vcpu, int memoryMib, long workDiskBytes, List<PortForward> portForwards, long rootDiskBytes) {
        this(vcpu, memoryMib, workDiskBytes, portForwards, rootDiskBytes, false, 0);
    }

    public VmSpec withPortForwards(List<PortForward> forwards) {
        return new VmSpec(vcpu, memoryMib, workDiskBytes, forwards, rootDiskBytes, nat, idleStopSeconds);
    }

    public VmSpec withNat(boolean enabled) {
        return new VmSpec(vcpu, memoryMib, workDiskBytes, portForwards, rootDiskBytes, enabled, idleStopSeconds);
    }

    /** After {@code vm resize}: the sizes the disks now have. */
    public VmSpec withDiskSizes(long rootBytes, long workBytes) {
        return new VmSpec(vcpu, memoryMib, workBytes, portForwards, rootBytes, nat, idleStopSeconds);
    }

    public VmSpec withIdleStopSeconds(long seconds) {
        return new VmSpec(vcpu, memoryMib, workDiskBytes, portForwards, rootDiskBytes, nat, seconds);
    }
}
