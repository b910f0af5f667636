package dev.banger.daemon.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the VMM processes of one banger home by what identifies them, whatever the store says:
 * every VMM banger launches names its control socket {@code <runtimeDir>/<vm id>.qmp} on its
 * command line. Reconcile uses this to find a VMM whose row never learned its PID (a crash between
 * the launch and handles.json) or whose row says it is not running.
 */
public final class VmmProcesses {
    /** One live process that names a VM's control socket under the runtime dir. */
    public record Found(long pid, String vmId, String controlSocket) {
        public VmmProcess process() {
            return new VmmProcess(pid, controlSocket);
        }
    }

    private final Path proc;

    public VmmProcesses() {
        this(Path.of("/proc"));
    }

    VmmProcesses(Path proc) {
        this.proc = proc;
    }

    public List<Found> under(Path runtimeDir) {
        String dir = runtimeDir.toAbsolutePath().normalize() + "/";
        Pattern socket = Pattern.compile("(?:" + Pattern.quote(dir) + "|" + Pattern.quote(ProcessIdentity.qemuEscaped(dir)) + ")"
                + "([0-9a-f]{16})\\.qmp");
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                if (pid == ProcessHandle.current().pid()) continue;
                String cmdline = cmdline(entry);
                Matcher m = socket.matcher(cmdline);
                String controlSocket = m.find() ? m.group().replace(",,", ",") : null;
                if (controlSocket != null && ProcessIdentity.matches(pid, controlSocket)) {
                    found.add(new Found(pid, m.group(1), controlSocket));
                }
            }
        } catch (IOException e) {
            // /proc unreadable: nothing can be found, and reconcile falls back to the rows' identities.
            return List.of();
        }
        return found;
    }

    private static String cmdline(Path procEntry) {
        try {
            return new String(Files.readAllBytes(procEntry.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";  // the process ended while we looked
        }
    }
}
