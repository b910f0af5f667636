package dev.banger.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the end-to-end tests that boot guests: the shared kernel and image exist before the
 * first test, and every VM, daemon and QEMU process of the banger home is gone after the last.
 */
abstract class BootingE2eTest {
    @BeforeAll
    static void sharedImage() throws Exception {
        SharedImage.ensure();
    }

    @AfterAll
    static void removeEverything() throws Exception {
        Banger.cleanUp();
    }
}
