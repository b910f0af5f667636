package dev.banger.roothelper.api;

import java.util.regex.Pattern;

/** The one accepted VM id shape: 16 lowercase hex characters (bangerd's ids). */
public final class VmIds {
    public static final Pattern PATTERN = Pattern.compile("^[0-9a-f]{16}$");

    private VmIds() { }

    /** Throws IllegalArgumentException unless {@code vmId} matches {@link #PATTERN}. */
    public static String require(String vmId) {
        if (vmId == null || !PATTERN.matcher(vmId).matches()) {
            throw new IllegalArgumentException("vm_id must match " + PATTERN.pattern());
        }
        return vmId;
    }
}
