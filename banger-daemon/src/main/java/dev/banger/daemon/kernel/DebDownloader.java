package dev.banger.daemon.kernel;

import dev.banger.daemon.host.HostCommand;

import dev.banger.daemon.fs.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Fetches a kernel .deb by package name with apt-get download, following a metapackage's
 * linux-image-* dependency to the package that really ships boot/vmlinuz-*.
 * With a cache dir, downloads are kept there as {@code <package>.deb} and reused.
 */
final class DebDownloader {
    private static final int MAX_HOPS = 3;

    private final Duration toolTimeout;
    private final DebPackage debs;
    private final Path cacheDir;

    DebDownloader(Duration toolTimeout, DebPackage debs, Path cacheDir) {
        this.toolTimeout = toolTimeout;
        this.debs = debs;
        this.cacheDir = cacheDir;
    }

    /** Returns the .deb that ships the kernel; downloads land in {@code scratch} unless a cache dir is set. */
    Path download(String packageName, Path scratch) throws IOException, InterruptedException {
        String name = packageName;
        for (int hop = 0; hop < MAX_HOPS; hop++) {
            if (!DebPackage.PACKAGE_NAME.matcher(name).matches()) {
                throw new IOException("not a valid Debian package name: " + name);
            }
            Path deb = fetchOne(name, scratch);
            if (debs.shipsKernel(deb)) {
                return deb;
            }
            String next = DebPackage.kernelDependency(debs.control(deb).depends());
            if (next == null) {
                throw new IOException(name + " ships no boot/vmlinuz-* and depends on no linux-image-* package");
            }
            name = next;
        }
        throw new IOException(packageName + ": more than " + MAX_HOPS + " metapackage hops to a kernel");
    }

    private Path fetchOne(String name, Path scratch) throws IOException, InterruptedException {
        Path dest = (cacheDir != null ? cacheDir : scratch).resolve(name + ".deb");
        if (cacheDir != null && Files.isRegularFile(dest)) {
            return dest;
        }
        Files.createDirectories(dest.getParent());
        // apt-get download writes into its working directory under a name we do not control; give it its own dir.
        Path dl = Files.createTempDirectory(scratch, "apt-");
        try {
            HostCommand.of(List.of("apt-get", "download", "-q", name), toolTimeout).directory(dl).run();
            Path got;
            try (Stream<Path> s = Files.list(dl)) {
                got = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new IOException("apt-get download " + name + " produced no .deb"));
            }
            Path tmp = dest.resolveSibling("." + name + ".deb.part");
            Files.move(got, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return dest;
        } finally {
            FileTrees.deleteRecursively(dl);
        }
    }
}
