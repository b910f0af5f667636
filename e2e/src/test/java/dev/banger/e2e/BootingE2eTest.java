package dev.banger.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

/**
 * Base of the end-to-end tests that boot guests: each class gets a fresh home of its own with the
 * shared kernel and image in it before the first test, and every VM, daemon and QEMU process of that
 * home is gone after the last.
 */
abstract class BootingE2eTest {
    @BeforeAll
    static void freshHomeWithTheSharedImage(TestInfo info) throws Exception {
        Banger.useFreshHome(info.getTestClass().orElseThrow().getSimpleName());
        SharedImage.ensure();
    }

    @AfterAll
    static void removeEverything() throws Exception {
        Banger.cleanUp();
    }
}
