package dev.banger.core.model;

/** What the user asked for; fixed at create time. */
public record VmSpec(int vcpu, int memoryMib, long workDiskBytes) {
    public static final int DEFAULT_VCPU = 1;
    public static final int DEFAULT_MEMORY_MIB = 512;
    public static final long DEFAULT_WORK_DISK_BYTES = 2L << 30;

    public VmSpec {
        if (vcpu <= 0) throw new IllegalArgumentException("vcpu must be a positive integer");
        if (memoryMib <= 0) throw new IllegalArgumentException("memory must be a positive integer");
        if (workDiskBytes < (16L << 20)) throw new IllegalArgumentException("disk size must be at least 16M");
    }
}
