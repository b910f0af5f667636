package dev.banger.daemon.vm;

import dev.banger.core.api.VmSshHost;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;

/**
 * banger's own known_hosts ({@code <state>/ssh/known_hosts}): one line per host key of each running
 * VM, under the names {@code ssh} looks it up by with the Host blocks of {@code banger ssh-config}.
 * Written whole and replaced by rename, so ssh never reads half a file.
 */
final class KnownHostsFile {
    static final String HEADER = "# banger's known hosts: rewritten by bangerd from each running VM's keys (read through its agent); edits are lost\n";

    private KnownHostsFile() { }

    /**
     * The host patterns of a VM: a rootless one is {@code [127.0.0.1]:PORT} (ssh's form for a port
     * other than 22); a bridged one its address and its {@code NAME.vm}.
     */
    static String patterns(VmSshHost h) {
        String name = h.port() == 22 ? h.hostName() : "[" + h.hostName() + "]:" + h.port();
        if (h.dnsName() == null) return name;
        return name + "," + (h.port() == 22 ? h.dnsName() : "[" + h.dnsName() + "]:" + h.port());
    }

    /** The whole file: the header, then the hosts by VM name, each key on its own line. */
    static String render(List<VmSshHost> hosts) {
        StringBuilder sb = new StringBuilder(HEADER);
        for (VmSshHost h : hosts.stream().sorted(Comparator.comparing(VmSshHost::vm)).toList()) {
            for (String key : h.hostKeys()) sb.append(patterns(h)).append(' ').append(key).append('\n');
        }
        return sb.toString();
    }

    /** Writes {@code content} to {@code file} (0600) through a temporary file beside it and a rename. */
    static void write(Path file, String content) throws IOException {
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (SeekableByteChannel ch = Files.newByteChannel(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                 OutputStream out = Channels.newOutputStream(ch)) {
                out.write(content.getBytes(StandardCharsets.UTF_8));
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
