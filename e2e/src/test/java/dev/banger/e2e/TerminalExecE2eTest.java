package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * `vm exec -it` from a real terminal: util-linux `script` gives the CLI a pseudo-terminal,
 * so the raw-mode path, the guest PTY and stdin forwarding are all exercised.
 */
class TerminalExecE2eTest extends BootingE2eTest {
    @Test
    void interactiveShellOverTheAgentPty() throws Exception {
        Banger.ok("vm", "create", "--name", "tty");
        Path transcript = Files.createTempFile("banger-tty", ".log");
        String inner = Banger.ROOT.resolve("bin/banger") + " vm exec -i -t tty -- sh";
        ProcessBuilder pb = new ProcessBuilder(List.of("script", "-q", "-e", "-c", inner, transcript.toString()));
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        Process p = pb.redirectErrorStream(true).start();
        try {
            var in = p.getOutputStream();
            Thread.sleep(3000);
            in.write("tty; echo marker-$((6*7)); exit 5\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(out).contains("/dev/pts/").contains("marker-42");
            assertThat(p.exitValue()).isEqualTo(5);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(transcript);
        }
    }
}
