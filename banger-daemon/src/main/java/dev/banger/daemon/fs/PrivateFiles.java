package dev.banger.daemon.fs;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Keeps what banger writes private to its owner, whatever the umask it was started with: VM disks,
 * overlays, consoles, banger.db and bangerd.log hold the guests' data, and other local users must
 * not read them. Directories are 0700, files 0600 (0700 when executable).
 */
public final class PrivateFiles {
    public static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private PrivateFiles() { }

    /**
     * Sets this process's umask to 077, so every file it creates, and every file the tools it starts
     * create (QEMU's console log and pidfile, qemu-img's overlays, mkfs.ext4's images, SQLite's
     * journal, Logback's log), is private from the start. The JDK has no call for it; umask(2)
     * cannot fail.
     */
    public static void restrictUmask() {
        umask(0077);
    }

    /** umask(2): sets the process's file mode creation mask, returns the previous one. */
    static int umask(int mask) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle umask = linker.downcallHandle(linker.defaultLookup().find("umask").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int) umask.invokeExact(mask);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot set the umask to " + Integer.toOctalString(mask), e);
        }
    }

    /** Makes dir (which must exist) 0700. */
    public static void restrictDir(Path dir) throws IOException {
        Files.setPosixFilePermissions(dir, DIR);
    }

    /**
     * Clears the group and other bits of everything under root (inclusive), without following
     * symlinks: for trees made by tools that keep the modes they unpack (dpkg-deb -x as root keeps
     * a kernel package's 0644/0755), before they are published.
     */
    public static void restrictTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.setPosixFilePermissions(dir, DIR);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Set<PosixFilePermission> perms = EnumSet.copyOf(FILE);
                    if (Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE)) {
                        perms.add(PosixFilePermission.OWNER_EXECUTE);
                    }
                    Files.setPosixFilePermissions(file, perms);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
