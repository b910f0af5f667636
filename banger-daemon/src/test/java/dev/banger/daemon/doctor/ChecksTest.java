package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one registration list: every check of docs/doctor.md, once, and only the QEMU check blocks a create. */
class ChecksTest {
    static Checks.Deps deps() {
        return new Checks.Deps("qemu", "qemu-system-x86_64", "auto", Optional::empty, "172.30.0.0/24", Path.of("/s"), Optional.empty());
    }

    @Test
    void everyCheckIsRegisteredOnceInTheDocumentedOrder() throws Exception {
        var names = Checks.all(deps()).stream().map(Check::name).toList();
        assertThat(names).containsExactly("accelerator", "vmm_driver", "vhost_vsock", "device_mapper", "tun", "bridge", "veth", "loop",
                "nftables", "ip_forward", "forward_policy", "subnet", "leftovers", "state_space", "image_builds", "root_helper", "dns");
        String doc = java.nio.file.Files.readString(Path.of("../docs/doctor.md"));
        for (String n : names) assertThat(doc).as("docs/doctor.md documents " + n).contains("### `" + n + "`");
    }

    @Test
    void onlyTheVmmDriverBlocksACreate() {
        assertThat(Checks.all(deps()).stream().filter(Check::blocksCreate).map(Check::name)).containsExactly("vmm_driver");
    }
}
