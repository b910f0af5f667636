package dev.banger.daemon.image.build;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Turns tar entry names into normalised paths relative to the image root, refusing anything that
 * could escape the root or that debugfs could not read back from a command file.
 *
 * <p>debugfs parses each command-file line with libss: words split on blanks, a double-quoted word
 * may contain blanks, and nothing else is special (checked against e2fsprogs 1.47: quoted names
 * with spaces, '#', '\'', and "&lt;12&gt;" after a leading '/' all reach the right inode). Every path
 * we emit is therefore absolute and double-quoted, which makes spaces safe. What stays refused:
 * <ul>
 *   <li>control characters incl. newline/CR/tab and DEL: the command file is line-based and
 *       debugfs cuts a line at the first CR or LF;</li>
 *   <li>'"': libss turns a doubled quote into a literal one, but that is an undocumented quirk
 *       we would rather not depend on for ownership of a root filesystem;</li>
 *   <li>'\\': not special to libss today, but it is to most other tools that will read these
 *       names (and e2fsck/debugfs print it escaped), so keep the rule simple;</li>
 *   <li>U+FFFD: the tar name was not valid UTF-8, so we cannot know the real bytes.</li>
 * </ul>
 */
final class EntryNames {
    static final int MAX_COMPONENT_BYTES = 255;   // ext4 name length limit
    static final int MAX_PATH_BYTES = 4000;       // debugfs reads command lines into an 8 KiB buffer

    private EntryNames() { }

    /**
     * Lexically normalises {@code name}: leading '/' and "./" are dropped (as GNU tar does),
     * "." components vanish, ".." pops a component and must never climb above the root.
     * Returns "" for the root itself.
     */
    static String normalise(String entryName, String name) throws UnsafeEntryException {
        if (name == null || name.isEmpty()) {
            throw new UnsafeEntryException(String.valueOf(name), "empty name");
        }
        checkEncodable(entryName, name);
        Deque<String> parts = new ArrayDeque<>();
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (parts.isEmpty()) {
                    throw new UnsafeEntryException(entryName, "path normalises outside the root");
                }
                parts.removeLast();
                continue;
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                throw new UnsafeEntryException(entryName, "path component longer than 255 bytes");
            }
            parts.addLast(part);
        }
        String joined = String.join("/", parts);
        if (joined.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw new UnsafeEntryException(entryName, "path longer than " + MAX_PATH_BYTES + " bytes");
        }
        return joined;
    }

    /** Throws unless every character of {@code name} survives a double-quoted debugfs argument. */
    static void checkEncodable(String entryName, String name) throws UnsafeEntryException {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new UnsafeEntryException(entryName, String.format("control character 0x%02x in name", (int) c));
            }
            if (c == '"') {
                throw new UnsafeEntryException(entryName, "double quote in name");
            }
            if (c == '\\') {
                throw new UnsafeEntryException(entryName, "backslash in name");
            }
            if (c == '\uFFFD') {
                throw new UnsafeEntryException(entryName, "name is not valid UTF-8");
            }
        }
    }

    static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
