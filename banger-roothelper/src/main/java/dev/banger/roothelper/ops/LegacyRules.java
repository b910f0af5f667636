package dev.banger.roothelper.ops;

/** Reads {@code iptables-legacy-save} output: is the filter table's FORWARD policy DROP? */
final class LegacyRules {
    private LegacyRules() { }

    static boolean forwardPolicyDrop(String save) {
        boolean inFilter = false;
        for (String line : save.lines().map(String::strip).toList()) {
            if (line.startsWith("*")) {
                inFilter = line.equals("*filter");
            } else if (inFilter && line.startsWith(":FORWARD ")) {
                return line.startsWith(":FORWARD DROP");
            }
        }
        return false;
    }
}
