package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** idle_stop, idle_cpu_percent, idle_poll_seconds: off, 10 % and 5 s unless set; BANGER_IDLE_POLL_SECONDS wins. */
class IdleStopConfigTest {
    @TempDir
    Path dir;

    @Test
    void offUnlessSetAndReadFromConfigToml() throws Exception {
        DaemonConfig.IdleStop defaults = DaemonConfig.load(dir.resolve("absent.toml"), Map.of()).idleStop();
        assertThat(defaults).isEqualTo(new DaemonConfig.IdleStop(0, 10.0, Duration.ofSeconds(5)));

        Path toml = dir.resolve("config.toml");
        Files.writeString(toml, "idle_stop = \"1h30m\"\nidle_cpu_percent = 25.5\nidle_poll_seconds = 3\n");
        assertThat(DaemonConfig.load(toml, Map.of()).idleStop()).isEqualTo(new DaemonConfig.IdleStop(5400, 25.5, Duration.ofSeconds(3)));
        assertThat(DaemonConfig.load(toml, Map.of("BANGER_IDLE_POLL_SECONDS", "1")).idleStop().poll()).isEqualTo(Duration.ofSeconds(1));

        Files.writeString(toml, "idle_stop = \"off\"\n");
        assertThat(DaemonConfig.load(toml, Map.of()).idleStop().defaultSeconds()).isZero();
    }

    @Test
    void aBadValueNamesItsKey() throws Exception {
        Path toml = dir.resolve("config.toml");
        Files.writeString(toml, "idle_stop = \"soon\"\n");
        assertThatThrownBy(() -> DaemonConfig.load(toml, Map.of())).hasMessageStartingWith("idle_stop: unparseable duration");
        Files.writeString(toml, "idle_cpu_percent = 0\n");
        assertThatThrownBy(() -> DaemonConfig.load(toml, Map.of())).hasMessageContaining("idle_cpu_percent");
        Files.writeString(toml, "idle_poll_seconds = 0\n");
        assertThatThrownBy(() -> DaemonConfig.load(toml, Map.of())).hasMessageContaining("idle_poll_seconds");
    }
}
