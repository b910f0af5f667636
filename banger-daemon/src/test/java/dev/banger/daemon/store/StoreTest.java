package dev.banger.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmRuntime;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {
    @TempDir
    Path dir;

    static VmRecord vm(String id, String name, String ip) {
        VmRuntime rt = new VmRuntime(ip, name + ".vm", "/s/vms/" + id, null, null, null, null, "/r/" + id + ".qmp",
                "/r/" + id + ".agent", null, null, null, null, null, null);
        return new VmRecord(id, name, "img1", VmState.CREATED, Instant.now(), Instant.now(), new VmSpec(1, 512, 1L << 30), rt);
    }

    @Test
    void vmRoundTripsWithJsonColumns() {
        try (Store s = new Store(dir.resolve("db"))) {
            VmRecord v = vm("abcd000000000001", "dev", "172.30.0.10");
            v = v.withState(VmState.RUNNING).withRuntime(v.runtime().withProcess(42L, "qemu", "tcg", 2222, "now"));
            s.upsertVm(v);
            VmRecord back = s.vmById(v.id()).orElseThrow();
            assertThat(back.runtime().pid()).isEqualTo(42L);
            assertThat(back.runtime().sshPort()).isEqualTo(2222);
            assertThat(back.state()).isEqualTo(VmState.RUNNING);
            assertThat(back.spec()).isEqualTo(v.spec());
        }
    }

    @Test
    void nameLookupIsExactNotPrefix() {
        try (Store s = new Store(dir.resolve("db"))) {
            s.upsertVm(vm("abcd000000000001", "devbox", "172.30.0.10"));
            assertThat(s.vmByName("dev")).isEmpty();
            assertThat(s.vmByName("devbox")).isPresent();
            assertThat(s.vmsByIdPrefix("abcd")).hasSize(1);
            assertThat(s.vmsByIdPrefix("%")).isEmpty();
        }
    }

    @Test
    void migrationsAreRecordedAndIdempotent() {
        try (Store s = new Store(dir.resolve("db"))) {
            assertThat(s.schemaVersion()).isEqualTo(Migrations.STEPS.size());
        }
        try (Store s = new Store(dir.resolve("db"))) {
            assertThat(s.schemaVersion()).isEqualTo(Migrations.STEPS.size());
        }
    }

    @Test
    void imagesAndUsedIps() {
        try (Store s = new Store(dir.resolve("db"))) {
            s.insertImage(new ImageRecord("img1", "debian", "/x/rootfs.ext4", "debian-cloud", "debian:bookworm", 10, Instant.now(), null));
            assertThat(s.imageByName("debian")).isPresent();
            s.upsertVm(vm("a000000000000001", "a", "172.30.0.10"));
            s.upsertVm(vm("a000000000000002", "b", "172.30.0.11"));
            assertThat(s.usedGuestIps()).containsExactlyInAnyOrder("172.30.0.10", "172.30.0.11");
            assertThat(s.deleteVm("a000000000000001")).isTrue();
            assertThat(s.usedGuestIps()).containsExactly("172.30.0.11");
        }
    }
}
