package dev.banger.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernel and default image every end-to-end test boots. Built once per checkout in the seed
 * home (the first test to ask pays for it; later runs reuse it), then given to each test class's
 * fresh home the way a user would bring their own: the kernel directory hard-linked (kernels are
 * read-only once published, and replaced by rename, never rewritten), the image registered from the
 * seed's root filesystem with {@code image register} (a copy).
 */
final class SharedImage {
    private static Path seedRootfs;

    private SharedImage() { }

    /** The seed's default image root filesystem, built first if needed (root-owned, 0400). */
    static synchronized Path seedRootfs() throws Exception {
        Path previous = Banger.home();
        Banger.withHome(Banger.SEED_HOME, SharedImage::ensure);
        if (!previous.equals(Banger.home())) throw new IllegalStateException("home not restored");
        return seedRootfs;
    }

    static synchronized void ensure() throws Exception {
        if (seedRootfs == null) {
            Banger.withHome(Banger.SEED_HOME, () -> {
                Banger.Result images = Banger.run("image", "ls", "--json");
                if (images.exit() != 0 || !images.stdout().contains("\"debian\"")) {
                    Banger.ok("image", "build", "debian");
                }
                JsonNode debian = Banger.run("image", "show", "debian", "--json").json();
                seedRootfs = Path.of(debian.path("rootfs_path").asText());
                Banger.run("daemon", "stop");
            });
        }
        if (Banger.home().equals(Banger.SEED_HOME)) return;
        Path kernels = Banger.stateDir().resolve("kernels");
        if (!Files.exists(kernels)) {
            Files.createDirectories(kernels.getParent());
            Process cp = new ProcessBuilder("cp", "-al", Banger.SEED_HOME.resolve("state/kernels").toString(), kernels.toString())
                    .redirectErrorStream(true).start();
            String out = new String(cp.getInputStream().readAllBytes());
            if (cp.waitFor() != 0) throw new IOException("linking the seed kernels failed: " + out);
        }
        if (!Banger.run("image", "ls", "--json").stdout().contains("\"debian\"")) {
            Banger.ok("image", "register", "debian", "--rootfs", seedRootfs.toString());
        }
    }
}
