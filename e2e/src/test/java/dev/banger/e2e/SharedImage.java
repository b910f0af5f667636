package dev.banger.e2e;

import java.io.IOException;

/**
 * The kernel and default image every end-to-end test boots. Built once per run (the first
 * test to ask pays for it) and kept in the shared home; later runs on the same checkout reuse it.
 */
final class SharedImage {
    private static boolean ready;

    private SharedImage() { }

    static synchronized void ensure() throws IOException, InterruptedException {
        if (ready) return;
        Banger.Result images = Banger.run("image", "ls", "--json");
        if (images.exit() != 0 || !images.stdout().contains("\"debian\"")) {
            Banger.ok("image", "build", "debian");
        }
        ready = true;
    }
}
