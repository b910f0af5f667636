package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code vm run} is a daemon method (vm.run): bangerd, not the CLI, owns the VM's life and its --rm. */
class VmRunE2eTest extends BootingE2eTest {
    /**
     * Regression (issue 9): --rm lived in the CLI's finally block, so a CLI killed mid-run (SIGKILL:
     * no finally, no shutdown hook) leaked a running VM. Now the call's cancellation removes it.
     */
    @Test
    void runWithRmRemovesTheVmWhenTheCliIsKilledMidRun() throws Exception {
        Banger.Leftovers before = Banger.leftovers();
        Path out = Files.createTempFile("banger-e2e-run", ".out");
        ProcessBuilder pb = new ProcessBuilder(Banger.ROOT.resolve("bin/banger").toString(), "vm", "run", "--rm",
                "--name", "doomed", "--", "sh", "-c", "echo started; exec sleep 600")
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        Process cli = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!Files.readString(out, StandardCharsets.UTF_8).contains("started")) {
                assertThat(cli.isAlive()).as("the CLI ended before the command started").isTrue();
                assertThat(System.nanoTime()).as("the command never started").isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(Banger.ok("vm", "show", "doomed", "--json")).contains("\"running\"");
            // SIGKILL, by PID: bin/banger execs the JVM, so this is the CLI itself, with no chance to clean up
            new ProcessBuilder("kill", "-KILL", Long.toString(cli.pid())).start().waitFor();
            assertThat(cli.waitFor(10, TimeUnit.SECONDS)).isTrue();

            Banger.Leftovers left = before.addedIn(Banger.leftovers());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!left.equals(Banger.Leftovers.NONE) && System.nanoTime() < until) {
                Thread.sleep(250);
                left = before.addedIn(Banger.leftovers());
            }
            // no VM dir, no socket, no store row, no QEMU: the daemon removed the VM on its own
            assertThat(left).as("what the killed run left behind").isEqualTo(Banger.Leftovers.NONE);
            assertThat(Banger.run("vm", "show", "doomed").exit()).isEqualTo(4);
        } finally {
            cli.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }
}
