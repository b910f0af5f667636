package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A real user for the tests that need one (getent, systemd-analyze's User= check): made with useradd, removed after, asserted gone. */
final class ThrowawayUser implements BeforeAllCallback, AfterAllCallback {
    static final String NAME = "banger-t-" + Long.toHexString(System.nanoTime() & 0xffffffL);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        run("useradd", "--no-create-home", "--home-dir", "/home/" + NAME, "--shell", "/usr/sbin/nologin", NAME);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        run("userdel", NAME);
        assertThat(new ProcessBuilder("getent", "passwd", NAME).start().waitFor()).as("user " + NAME + " removed").isEqualTo(2);
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).inheritIO().start();
        assertThat(p.waitFor()).as(String.join(" ", cmd)).isZero();
    }
}
