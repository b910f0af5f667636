package dev.banger.cli;

import dev.banger.core.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a system install under one {@link SystemLayout}: what they should hold, writing only
 * the ones that differ (so a second install with the same inputs touches nothing), and removing them.
 */
final class SystemFiles {
    private final SystemLayout layout;

    SystemFiles(SystemLayout layout) {
        this.layout = layout;
    }

    /** What happened to one file: {@code wrote} (new), {@code upgraded} (changed), {@code up to date}, {@code removed}, {@code absent}. */
    record Change(Path path, String what) {
        boolean changed() {
            return what.equals("wrote") || what.equals("upgraded") || what.equals("removed");
        }
    }

    /** Every file and its wanted bytes, in writing order (the record last: it says the units are there). */
    Map<Path, String> wanted(SystemInputs in) throws IOException {
        Map<Path, String> m = new LinkedHashMap<>();
        m.put(layout.unit(SystemLayout.HELPER_UNIT), SystemUnits.helper(in));
        m.put(layout.unit(SystemLayout.BANGERD_UNIT), SystemUnits.bangerd(in));
        m.put(layout.record(), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(SystemRecord.of(in)) + "\n");
        return m;
    }

    List<Change> install(SystemInputs in) throws IOException {
        List<Change> changes = new ArrayList<>();
        for (Map.Entry<Path, String> e : wanted(in).entrySet()) changes.add(write(e.getKey(), e.getValue()));
        return changes;
    }

    /** Replaces the file by rename from a temp file beside it, mode 0644: a crash leaves the old text or the new one. */
    private static Change write(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        String what;
        try {
            if (java.util.Arrays.equals(Files.readAllBytes(file), bytes)) return new Change(file, "up to date");
            what = "upgraded";
        } catch (NoSuchFileException e) {
            what = "wrote";
        }
        Files.createDirectories(file.getParent());
        Path temp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".tmp");
        try {
            Files.write(temp, bytes);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        return new Change(file, what);
    }

    /** The record, or null when there is none (not installed). */
    SystemRecord record() throws IOException {
        try {
            return Json.MAPPER.readValue(Files.readAllBytes(layout.record()), SystemRecord.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Removes what install wrote (units, record, and /etc/banger when it is left empty), the helper's
     * socket, and with {@code purge} the helper's state and audit log dirs too.
     */
    List<Change> uninstall(boolean purge) throws IOException {
        List<Change> changes = new ArrayList<>();
        for (String unit : SystemLayout.UNITS) changes.add(remove(layout.unit(unit)));
        changes.add(remove(layout.record()));
        removeIfEmpty(layout.record().getParent());
        changes.add(remove(layout.socket()));
        removeIfEmpty(layout.socket().getParent());
        if (purge) {
            changes.add(removeTree(layout.under(SystemLayout.HELPER_STATE)));
            changes.add(removeTree(layout.under(SystemLayout.HELPER_LOGS)));
        }
        // A staging root gets back what it had: the directories install created there go when they are empty.
        if (layout.staging()) {
            for (SystemFiles.Change c : changes) pruneEmptyParents(c.path().getParent());
        }
        return changes;
    }

    private void pruneEmptyParents(Path dir) throws IOException {
        for (Path d = dir; d != null && d.startsWith(layout.root()) && !d.equals(layout.root()); d = d.getParent()) {
            try {
                Files.delete(d);
            } catch (NoSuchFileException e) {
                // Already gone (a sibling's pruning): keep going up.
            } catch (java.nio.file.DirectoryNotEmptyException e) {
                return;
            } catch (java.nio.file.FileSystemException e) {
                if (!isMountPoint(d)) throw e;
                return;
            }
        }
    }

    private static Change remove(Path p) throws IOException {
        return new Change(p, Files.deleteIfExists(p) ? "removed" : "absent");
    }

    private static void removeIfEmpty(Path dir) throws IOException {
        try {
            Files.delete(dir);
        } catch (NoSuchFileException | java.nio.file.DirectoryNotEmptyException e) {
            // Someone else's files are there (or nothing was): leave it.
        } catch (java.nio.file.FileSystemException e) {
            // Something is mounted on it (EBUSY): not banger's to remove either, and no reason to stop half-way.
            if (!isMountPoint(dir)) throw e;
        }
    }

    /**
     * Is {@code dir} where something is mounted, in this process's mount namespace? By its mount table,
     * not by comparing st_dev with the parent's, which a bind mount from the same file system shares.
     */
    static boolean isMountPoint(Path dir) throws IOException {
        String real;
        try {
            real = dir.toRealPath().toString();
        } catch (NoSuchFileException e) {
            return false;
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && unescapeMountPath(f[4]).equals(real)) return true;
        }
        return false;
    }

    /** mountinfo writes space, tab, newline and backslash in a path as \ooo octal escapes. */
    private static String unescapeMountPath(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Deletes a directory tree without following symlinks (a link inside is removed, never its target). */
    private static Change removeTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return new Change(dir, "absent");
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        return new Change(dir, "removed");
    }
}
