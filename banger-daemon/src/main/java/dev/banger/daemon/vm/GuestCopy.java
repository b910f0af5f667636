package dev.banger.daemon.vm;

import dev.banger.core.rpc.RpcException;
import java.util.List;

/**
 * The guest half of {@code vm cp}: the fixed busybox scripts that unpack or pack a tar in the guest, and
 * the check of a guest path. The scripts are constants; the paths reach them as positional arguments
 * ({@code sh -c SCRIPT sh PATH …}), never spliced into shell text. They call the static busybox that
 * init.sh copies next to the agent, so a guest without tar (a bare OCI image) is served the same way.
 */
final class GuestCopy {
    static final String BUSYBOX = "/run/banger/busybox";
    /** The scripts' exit status for a missing path: its message on stderr names it. */
    static final int MISSING = 4;
    /** vm.cp.out's exit status for a directory without recursive. */
    static final int IS_DIRECTORY = 3;

    /**
     * $1 the guest path, $2 the stream's one top-level name or empty. An existing directory takes the entries
     * as they are; otherwise they are unpacked in a fresh directory beside $1 and the named one is moved to
     * $1, so a copy under a new name needs no renaming inside the tar. Owners are not restored (-o): what
     * the host user owns means nothing in the guest, the files belong to root.
     */
    private static final String UNPACK = """
            B=/run/banger/busybox
            if [ -d "$1" ]; then exec $B tar -x -o -f - -C "$1"; fi
            [ -n "$2" ] || { echo "no such directory in the guest: $1" >&2; exit 4; }
            p=$($B dirname "$1")
            [ -d "$p" ] || { echo "no such directory in the guest: $p" >&2; exit 4; }
            t=$($B mktemp -d "$p/.banger-cp.XXXXXX") || exit 1
            if $B tar -x -o -f - -C "$t"; then
              if [ -e "$t/$2" ] || [ -L "$t/$2" ]; then $B mv -f "$t/$2" "$1"; r=$?
              else echo "the tar stream has no entry $2" >&2; r=1; fi
            else r=1; fi
            $B rm -rf "$t"
            exit $r
            """;

    /** $1 the guest path, $2 "1" when a directory may be copied. The tar's one top-level entry is $1's last component. */
    private static final String PACK = """
            B=/run/banger/busybox
            [ -e "$1" ] || [ -L "$1" ] || { echo "no such file or directory in the guest: $1" >&2; exit 4; }
            if [ -d "$1" ] && [ ! -L "$1" ] && [ -z "$2" ]; then echo "$1 is a directory (use -r)" >&2; exit 3; fi
            cd "$($B dirname "$1")" || exit 1
            exec $B tar -c -f - -- "$($B basename "$1")"
            """;

    private GuestCopy() { }

    static List<String> unpack(String path, String name) {
        return List.of(BUSYBOX, "sh", "-c", UNPACK, "sh", path, name == null ? "" : name);
    }

    static List<String> pack(String path, boolean recursive) {
        return List.of(BUSYBOX, "sh", "-c", PACK, "sh", path, recursive ? "1" : "");
    }

    /**
     * The caller's guest path, absolute and lexically normal ("/a/./b/" is "/a/b"); ".." and control
     * characters are refused rather than resolved, so what the guest touches is what the caller wrote.
     */
    static String guestPath(String path) {
        if (path == null || path.isEmpty()) throw RpcException.invalid("a guest path is required");
        if (!path.startsWith("/")) throw RpcException.invalid("guest path " + path + " is not absolute");
        StringBuilder out = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) throw RpcException.invalid("guest path " + path + " contains '..'");
            for (int i = 0; i < part.length(); i++) {
                if (part.charAt(i) < 0x20 || part.charAt(i) == 0x7f) {
                    throw RpcException.invalid("guest path " + path + " contains a control character");
                }
            }
            out.append('/').append(part);
        }
        return out.isEmpty() ? "/" : out.toString();
    }

    /** A top-level entry name: one path component. */
    static String entryName(String name) {
        if (name == null) return null;
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw RpcException.invalid("name " + name + " is not a single path component");
        }
        return name;
    }
}
