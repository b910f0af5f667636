package dev.banger.core.model;

import dev.banger.core.rpc.RpcException;

/** What the user asked for; fixed at create time. Its checks are input checks: they refuse with invalid params. */
public record VmSpec(int vcpu, int memoryMib, long workDiskBytes) {
    public static final int DEFAULT_VCPU = 1;
    public static final int DEFAULT_MEMORY_MIB = 512;
    public static final long DEFAULT_WORK_DISK_BYTES = 2L << 30;

    public VmSpec {
        if (vcpu <= 0) throw RpcException.invalid("vcpu must be a positive integer");
        if (memoryMib <= 0) throw RpcException.invalid("memory must be a positive integer");
        if (workDiskBytes < (16L << 20)) throw RpcException.invalid("disk size must be at least 16M");
    }
}
