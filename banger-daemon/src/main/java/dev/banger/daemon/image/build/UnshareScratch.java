package dev.banger.daemon.image.build;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.host.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * mmdebstrap's TMPDIR in unshare mode. The namespace's root is a subordinate uid: to the host it
 * is some other user, so it cannot enter banger's state dir (0700, and so is the user's home).
 * It only needs to reach the chroot temp dir mmdebstrap makes in TMPDIR (the tar goes to stdout,
 * straight to us). So TMPDIR is a fresh directory in the system temp dir (world-traversable),
 * mode 0700, plus one ACL entry that lets exactly that subordinate uid traverse it (--x: it
 * cannot list or add entries). Other local users get nowhere; the result is written by us,
 * under the state dir.
 */
final class UnshareScratch implements AutoCloseable {
    private static final Duration SETFACL_TIMEOUT = Duration.ofSeconds(30);

    private final Path dir;

    private UnshareScratch(Path dir) {
        this.dir = dir;
    }

    /** A new directory under parent that only we and namespaceRootUid can enter. */
    static UnshareScratch create(Path parent, long namespaceRootUid) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(parent, "banger-mmdebstrap-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        boolean ok = false;
        try {
            try {
                HostCommand.of(List.of("setfacl", "-m", "u:" + namespaceRootUid + ":x", dir.toString()), SETFACL_TIMEOUT).run();
            } catch (IOException e) {
                throw new IOException("cannot let mmdebstrap's namespace root (uid " + namespaceRootUid + ") into "
                        + dir + " (does " + parent + " support POSIX ACLs?): " + e.getMessage(), e);
            }
            ok = true;
            return new UnshareScratch(dir);
        } finally {
            if (!ok) {
                Files.deleteIfExists(dir);
            }
        }
    }

    Path dir() {
        return dir;
    }

    /** mmdebstrap removes its chroot itself (from inside the namespace: we could not); we remove the rest. */
    @Override
    public void close() throws IOException {
        FileTrees.deleteRecursively(dir);
    }
}
