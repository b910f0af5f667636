package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Regression (issue 8.5): {@code vm rm} on a running VM without {@code -f} was refused, but still
 * closed the VM's agent connection (a running {@code vm exec} died with "agent connection lost")
 * and forgot the VM's lock. A refused rm changes nothing.
 */
class RefusedRmE2eTest extends BootingE2eTest {
    @Test
    void refusedRmOfARunningVmLeavesItsExecAndItsVmAlone() throws Exception {
        Banger.ok("vm", "create", "--name", "keeper");
        Path out = Files.createTempFile("banger-e2e-exec", ".out");
        ProcessBuilder pb = new ProcessBuilder(Banger.ROOT.resolve("bin/banger").toString(), "vm", "exec", "keeper", "--",
                "sh", "-c", "touch /tmp/exec-started; sleep 4; echo finished");
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        Process exec = pb.redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            // barrier the test can observe: the exec's command is running in the guest
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Banger.run("vm", "exec", "keeper", "--", "test", "-e", "/tmp/exec-started").exit() != 0) {
                assertThat(System.nanoTime()).as("exec started in the guest").isLessThan(deadline);
                assertThat(exec.isAlive()).as("exec still running").isTrue();
            }

            Banger.Result rm = Banger.run("vm", "rm", "keeper");
            assertThat(rm.exit()).isNotZero();
            assertThat(rm.stderr()).contains("is running");

            assertThat(exec.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(out, StandardCharsets.UTF_8)).contains("finished").doesNotContain("connection lost");
            assertThat(exec.exitValue()).isZero();
            assertThat(Banger.run("vm", "show", "keeper", "--json").json().path("state").asText()).isEqualTo("running");
        } finally {
            exec.destroyForcibly();
            Files.deleteIfExists(out);
        }
        Banger.ok("vm", "rm", "--force", "keeper");
    }
}
