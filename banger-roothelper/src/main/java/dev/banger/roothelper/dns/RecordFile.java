package dev.banger.roothelper.dns;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.banger.core.Json;
import dev.banger.roothelper.api.DnsRecord;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The records on disk ({@code <state-dir>/dns-records.json}, 0600), so a restarted helper serves
 * what it served before bangerd pushes again. Written to a temp file and renamed, so a crash leaves
 * the old list or the new one, never half of either. Every record is validated again on load.
 */
public final class RecordFile {
    static final String NAME = "dns-records.json";
    private static final TypeReference<List<DnsRecord>> LIST = new TypeReference<>() { };

    private final Path dir;
    private final Path file;

    public RecordFile(Path stateDir) {
        if (!stateDir.isAbsolute()) {
            throw new IllegalArgumentException("the state dir must be an absolute path: " + stateDir);
        }
        this.dir = stateDir;
        this.file = stateDir.resolve(NAME);
    }

    public Path path() {
        return file;
    }

    public List<DnsRecord> load() throws IOException {
        try {
            return List.copyOf(Json.MAPPER.readValue(Files.readAllBytes(file), LIST));
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    public void save(List<DnsRecord> records) throws IOException {
        ensureDir();
        byte[] bytes = Json.MAPPER.writeValueAsBytes(records);
        Path temp = Files.createTempFile(dir, "." + NAME + "-", ".tmp"); // created 0600
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(bytes));
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Created 0700 when missing; a symlink or a non-directory in its place is refused, not followed. */
    private void ensureDir() throws IOException {
        if (Files.isSymbolicLink(dir)) {
            throw new IOException("the state dir " + dir + " is a symlink; refusing to write through it");
        }
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("the state dir " + dir + " is not a directory");
        }
    }
}
