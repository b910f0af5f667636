package dev.banger.roothelper.ops;

import dev.banger.roothelper.api.VmIds;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Tap names and the tap's alias. The name is {@code bt} + the first 12 hex characters of the VM id
 * (14 characters; Linux allows 15). Two VMs whose ids share those 48 bits would map to one name:
 * with random 64-bit ids and 1,000 VMs that is about one chance in 10^9. It is still detected, never
 * confused: each tap carries its full VM id in its alias ({@code banger vm <id>}), a create whose
 * name is held by another VM's tap is refused, and a delete or reconcile never removes another
 * VM's tap.
 */
public final class TapNames {
    private static final Pattern TAP = Pattern.compile("^bt[0-9a-f]{12}$");
    private static final String ALIAS_PREFIX = "banger vm ";

    private TapNames() { }

    public static String forVm(String vmId) {
        return "bt" + VmIds.require(vmId).substring(0, 12);
    }

    public static boolean isBangerTap(String interfaceName) {
        return TAP.matcher(interfaceName).matches();
    }

    static String alias(String vmId) {
        return ALIAS_PREFIX + vmId;
    }

    /** The VM id a tap's alias names, if it is one of ours. */
    static Optional<String> vmOfAlias(String alias) {
        if (alias == null || !alias.startsWith(ALIAS_PREFIX)) {
            return Optional.empty();
        }
        String id = alias.substring(ALIAS_PREFIX.length());
        return VmIds.PATTERN.matcher(id).matches() ? Optional.of(id) : Optional.empty();
    }
}
