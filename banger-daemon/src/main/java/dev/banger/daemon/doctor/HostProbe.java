package dev.banger.daemon.doctor;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything a doctor check may look at on the host: files, /proc and /sys, tools, commands and free
 * space. Checks see the host only through this, so each one is unit-tested over a fake host
 * ({@code FakeProbe}); {@link SystemProbe} is the real one. Every method answers, none throws: an
 * unreadable file is empty, a command that cannot start has exit -1.
 */
interface HostProbe {
    /** What a command printed; {@code exit} -1 when it could not be started or timed out. */
    record Output(int exit, String stdout, String stderr) {
        boolean ok() {
            return exit == 0;
        }
    }

    boolean exists(Path path);

    /** The file's text, empty when it is missing or unreadable. */
    Optional<String> read(Path path);

    /** Whether this process can open the device or file for reading and writing (what QEMU does with /dev/kvm). */
    boolean opensReadWrite(Path path);

    /** The names in a directory, empty when it is missing. */
    List<String> list(Path dir);

    /** The tool's path over PATH and the sbin directories ({@code HostTools}), empty when absent. */
    Optional<Path> tool(String name);

    /** Runs an argument list (no shell) with a short deadline. */
    Output run(List<String> command);

    /** Bytes an unprivileged writer can still use on the file system holding path (statvfs f_bavail); -1 when unknown. */
    long usableBytes(Path path);

    /** The running kernel's build configuration (/proc/config.gz, else /boot/config-RELEASE); empty when neither is readable. */
    Optional<String> kernelConfig();

    /** Whether a Unix-domain socket accepts a connection. */
    boolean connects(Path unixSocket);

    /** The root helper's answer to its {@code version} operation on this socket; empty when it gives none. */
    Optional<String> helperVersion(Path helperSocket);

    long uid();

    String user();
}
