package dev.banger.roothelper.dns;

import dev.banger.roothelper.api.DnsRecord;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hosts file with banger's block ({@link HostsBlock}), rewritten atomically: a temp file in the
 * same directory, fsynced, renamed over it, so a reader never sees half a file. When the rename is
 * refused because the file is a mount point (containers bind-mount /etc/hosts), it is rewritten in
 * place instead, and that is logged. Unchanged text is not written at all.
 */
public final class HostsFile {
    private static final Logger LOG = LoggerFactory.getLogger(HostsFile.class);

    private final Path file;

    public HostsFile(Path file) {
        if (!file.isAbsolute()) {
            throw new IllegalArgumentException("the hosts file must be an absolute path: " + file);
        }
        this.file = file;
    }

    public Path path() {
        return file;
    }

    /** Writes the block holding {@code records}; returns whether the file changed. */
    public boolean write(List<DnsRecord> records) throws IOException {
        String current;
        try {
            current = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            if (records.isEmpty()) {
                return false;
            }
            current = "";
        }
        String wanted = HostsBlock.rewrite(current, records);
        if (wanted.equals(current)) {
            return false;
        }
        byte[] bytes = wanted.getBytes(StandardCharsets.ISO_8859_1);
        Path temp;
        try {
            temp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".banger-", ".tmp");
        } catch (IOException e) {
            // The directory is read-only to us while the file is not: the helper's unit (ProtectSystem=strict,
            // ReadWritePaths=-/etc/hosts) grants the file alone, so no temp file beside it.
            LOG.warn("dns: cannot create a temp file beside {} ({}); rewriting it in place, not atomically", file, e.getMessage());
            Files.write(file, bytes, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            return true;
        }
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(bytes));
                channel.force(true);
            }
            keepModeAndOwner(temp);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                // EBUSY: the file is a mount point (a bind-mounted /etc/hosts), which rename cannot replace.
                LOG.warn("dns: cannot rename over {} ({}); rewriting it in place, not atomically", file, e.getMessage());
                Files.write(file, bytes, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        return true;
    }

    /** The temp file is created 0600; the hosts file keeps what it had (0644 for a new one), so resolvers can still read it. */
    private void keepModeAndOwner(Path temp) throws IOException {
        if (Files.exists(file)) {
            PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class);
            Files.setPosixFilePermissions(temp, attributes.permissions());
            Files.setOwner(temp, attributes.owner());
            Files.getFileAttributeView(temp, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(attributes.group());
        } else {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }
}
