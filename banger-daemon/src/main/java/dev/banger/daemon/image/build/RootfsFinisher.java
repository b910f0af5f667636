package dev.banger.daemon.image.build;

import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Last edits to a built Debian image, made with debugfs (no mount):
 * <ul>
 *   <li>{@code /root} must exist as root:root 0700 (base-files makes it; we check rather than trust);</li>
 *   <li>openssh-server's postinst generated host keys at build time; every VM from this image
 *       would share them, so they are removed and the guest must run {@code ssh-keygen -A}
 *       before starting sshd.</li>
 * </ul>
 */
final class RootfsFinisher {
    private RootfsFinisher() { }

    /** Returns how many inodes were corrected or removed. */
    static int finish(Path image, Path scratch) throws IOException {
        // Read-only listings: their stdout is parsed, their exit code and stderr were never a verdict
        // (a missing /root or /etc/ssh is simply an empty listing).
        HostCommand.Result listing = Ext4Writer.run(
                HostCommand.of(List.of("debugfs", "-R", "ls -p /", image.toString()), Ext4Writer.TOOL_TIMEOUT), false);
        HostCommand.Result ssh = Ext4Writer.run(
                HostCommand.of(List.of("debugfs", "-R", "ls -p /etc/ssh", image.toString()), Ext4Writer.TOOL_TIMEOUT), false);
        List<String> cmds = new ArrayList<>();
        int fixes = 0;
        LsEntry root = find(listing.stdout(), "root");
        if (root == null) {
            cmds.add("mkdir /root");
        }
        if (root == null || root.mode() != 040700 || root.uid() != 0 || root.gid() != 0) {
            cmds.add("sif /root mode 040700");
            cmds.add("sif /root uid 0");
            cmds.add("sif /root gid 0");
            fixes++;
        }
        for (LsEntry e : parse(ssh.stdout())) {
            if (e.name().startsWith("ssh_host_") && (e.mode() & 0170000) == 0100000) {
                EntryNames.checkEncodable(e.name(), e.name());
                cmds.add("rm \"/etc/ssh/" + e.name() + "\"");
                fixes++;
            }
        }
        if (!cmds.isEmpty()) {
            DebugfsCommands.runScript("finish the Debian root filesystem", cmds, image, scratch);
        }
        return fixes;
    }

    record LsEntry(String name, int mode, long uid, long gid) { }

    // "ls -p" prints /inode/mode/uid/gid/name/size/ per entry; mode is octal.
    static List<LsEntry> parse(String out) {
        List<LsEntry> entries = new ArrayList<>();
        for (String line : out.lines().toList()) {
            String[] f = line.split("/", -1);
            if (f.length < 7 || !f[0].isEmpty()) {
                continue;
            }
            try {
                entries.add(new LsEntry(f[5], Integer.parseInt(f[2], 8), Long.parseLong(f[3]), Long.parseLong(f[4])));
            } catch (NumberFormatException ignored) {
                // not an entry line
            }
        }
        return entries;
    }

    private static LsEntry find(String out, String name) {
        return parse(out).stream().filter(e -> e.name().equals(name)).findFirst().orElse(null);
    }
}
