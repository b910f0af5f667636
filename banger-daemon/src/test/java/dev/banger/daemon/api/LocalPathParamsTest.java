package dev.banger.daemon.api;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.Json;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.rpc.CallContext;
import dev.banger.daemon.rpc.RpcMethod;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Regression (issue 8.11): a relative local path reached bangerd, which resolved it against its own
 * working directory, not the caller's. Local paths must arrive absolute; the services are never reached.
 */
class LocalPathParamsTest {
    private final Map<String, RpcMethod> methods = new HashMap<>();

    LocalPathParamsTest() {
        new KernelMethods(null).register(methods);
        new ImageMethods(null, null, "bookworm", null).register(methods);
    }

    private void refused(String method, String params, String message) {
        assertThatThrownBy(() -> methods.get(method).call(Json.MAPPER.readTree(params), CallContext.detached()))
                .isInstanceOfSatisfying(RpcException.class, e -> org.assertj.core.api.Assertions.assertThat(e.code())
                        .isEqualTo(RpcErrors.INVALID_PARAMS))
                .hasMessageContaining(message);
    }

    @Test
    void relativeLocalPathsAreRefusedBeforeAnyServiceSeesThem() {
        refused("kernel.import", "{\"name\":\"k\",\"deb\":\"./linux-image.deb\"}", "deb must be an absolute path");
        refused("kernel.import", "{\"name\":\"k\",\"deb\":\"linux-image.deb\"}", "deb must be an absolute path");
        refused("kernel.import", "{\"name\":\"k\",\"from\":\"staged/kernel\"}", "from must be an absolute path");
        refused("image.register", "{\"name\":\"i\",\"rootfs\":\"root.ext4\"}", "rootfs must be an absolute path");
        refused("image.import", "{\"name\":\"i\",\"source\":\"rootfs.tar\"}", "source must be an absolute path");
    }
}
