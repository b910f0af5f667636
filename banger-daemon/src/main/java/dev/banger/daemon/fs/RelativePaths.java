package dev.banger.daemon.fs;

import java.util.ArrayList;
import java.util.List;

/** Slash-separated relative paths as archive entries name them ("a/b/c", "" for the root). */
public final class RelativePaths {
    private RelativePaths() { }

    /** "a", "a/b", "a/b/c" for "a/b/c": every leading part, the path itself last; empty for "". */
    public static List<String> prefixes(String path) {
        List<String> out = new ArrayList<>();
        if (path.isEmpty()) return out;
        int slash = -1;
        while ((slash = path.indexOf('/', slash + 1)) >= 0) {
            out.add(path.substring(0, slash));
        }
        out.add(path);
        return out;
    }

    /** The directories above path, outermost first: {@link #prefixes} without the path itself. */
    public static List<String> parents(String path) {
        List<String> all = prefixes(path);
        return all.isEmpty() ? all : all.subList(0, all.size() - 1);
    }
}
