package dev.banger.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.daemon.rpc.RpcServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RpcConfigTest {
    @TempDir
    Path dir;

    @Test
    void rpcLimitsDefaultTo16MibAnd30SecondsAndComeFromConfigToml() throws Exception {
        RpcServer.Limits defaults = DaemonConfig.load(dir.resolve("absent.toml"), Map.of()).rpcLimits();
        assertThat(defaults.maxRequestBytes()).isEqualTo(16 << 20);
        assertThat(defaults.writeTimeout()).isEqualTo(Duration.ofSeconds(30));

        Path toml = dir.resolve("config.toml");
        Files.writeString(toml, "rpc_max_request_mib = 2\nrpc_write_timeout_seconds = 5\n");
        RpcServer.Limits set = DaemonConfig.load(toml, Map.of()).rpcLimits();
        assertThat(set.maxRequestBytes()).isEqualTo(2 << 20);
        assertThat(set.writeTimeout()).isEqualTo(Duration.ofSeconds(5));

        Files.writeString(toml, "rpc_max_request_mib = 0\n");
        assertThatThrownBy(() -> DaemonConfig.load(toml, Map.of())).hasMessageContaining("rpc_max_request_mib");
    }
}
