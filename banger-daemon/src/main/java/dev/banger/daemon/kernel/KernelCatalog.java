package dev.banger.daemon.kernel;

import dev.banger.daemon.fs.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The on-disk kernel catalog: one directory per kernel under kernelsDir, each with a manifest.json. */
public final class KernelCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(KernelCatalog.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Path kernelsDir;

    public KernelCatalog(Path kernelsDir) {
        this.kernelsDir = kernelsDir.toAbsolutePath().normalize();
    }

    public static void validateName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("kernel name must not be empty");
        }
        if (name.length() > 64) {
            throw new IllegalArgumentException("kernel name is longer than 64 characters");
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("kernel name may only contain letters, digits, '.', '-' and '_': " + printable(name));
        }
        // Leading dots are reserved for staging and removal directories, which also rules out "." and "..".
        if (name.startsWith(".")) {
            throw new IllegalArgumentException("kernel name must not start with '.': " + name);
        }
    }

    /** Keeps the error one line even when the rejected name holds control characters. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(80).forEach(c -> b.append(c >= 0x20 && c < 0x7F ? Character.toString(c) : String.format("\\u%04x", c)));
        return b.toString();
    }

    public Optional<KernelEntry> find(String name) throws IOException {
        validateName(name);
        Path dir = kernelsDir.resolve(name);
        if (!Files.isRegularFile(dir.resolve(Manifest.FILE_NAME))) {
            return Optional.empty();
        }
        return Optional.of(Manifest.read(dir));
    }

    public List<KernelEntry> list() throws IOException {
        if (!Files.isDirectory(kernelsDir)) {
            return List.of();
        }
        List<KernelEntry> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(kernelsDir)) {
            for (Path dir : dirs.toList()) {
                String name = dir.getFileName().toString();
                if (name.startsWith(".") || !NAME.matcher(name).matches()
                        || !Files.isRegularFile(dir.resolve(Manifest.FILE_NAME))) {
                    continue;
                }
                try {
                    out.add(Manifest.read(dir));
                } catch (IOException e) {
                    // One damaged entry must not hide the others from `kernel list`.
                    LOG.warn("skipping kernel {}: {}", name, e.getMessage());
                }
            }
        }
        out.sort(Comparator.comparing(KernelEntry::name));
        return out;
    }

    public void remove(String name) throws IOException {
        validateName(name);
        Path dir = kernelsDir.resolve(name);
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(dir.toString(), null, "no kernel named " + name);
        }
        // Rename first so a concurrent reader sees the whole kernel or none of it, never a half-deleted tree.
        Path doomed = kernelsDir.resolve("." + name + ".rm-" + UUID.randomUUID());
        Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteRecursively(doomed);
    }

    Path kernelsDir() {
        return kernelsDir;
    }
}
