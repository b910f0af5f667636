package dev.banger.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BangerPathsTest {
    @Test
    void followsXdgByDefault() {
        BangerPaths p = BangerPaths.from(Map.of("HOME", "/home/u", "XDG_RUNTIME_DIR", "/run/user/1000"));
        assertThat(p.configFile()).isEqualTo(Path.of("/home/u/.config/banger/config.toml"));
        assertThat(p.stateDir()).isEqualTo(Path.of("/home/u/.local/state/banger"));
        assertThat(p.daemonSocket()).isEqualTo(Path.of("/run/user/1000/banger/bangerd.sock"));
    }

    @Test
    void bangerHomePutsEverythingUnderOneRoot() {
        BangerPaths p = BangerPaths.from(Map.of("HOME", "/home/u", "BANGER_HOME", "/tmp/bh"));
        assertThat(p.stateDir()).isEqualTo(Path.of("/tmp/bh/state"));
        assertThat(p.runtimeDir()).isEqualTo(Path.of("/tmp/bh/run"));
        assertThat(p.configDir()).isEqualTo(Path.of("/tmp/bh/config"));
    }

    @Test
    void eachRootCanBeOverridden() {
        BangerPaths p = BangerPaths.from(Map.of("HOME", "/home/u", "BANGER_STATE_DIR", "/srv/state", "XDG_STATE_HOME", "/x"));
        assertThat(p.stateDir()).isEqualTo(Path.of("/srv/state"));
        assertThat(p.runtimeDir()).isEqualTo(Path.of("/x/banger/run"));
    }
}
