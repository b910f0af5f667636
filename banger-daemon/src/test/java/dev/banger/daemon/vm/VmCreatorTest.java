package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.core.model.VmSpec;
import dev.banger.core.model.VmState;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Create's validation and reservation: user mistakes are invalid input, the row is the driver's layout, names and IPs are unique. */
class VmCreatorTest {
    @TempDir Path home;
    private Store store;
    private VmCreator creator;
    private final VmLocks locks = new VmLocks();
    private final FakeVmm vmm = new FakeVmm();
    private final ImageRecord image = new ImageRecord("img0", "base", "/nonexistent/rootfs.ext4", "k", "test", 0, Instant.now(), null);

    @BeforeEach
    void setUp() throws Exception {
        store = new Store(home.resolve("banger.db"));
        creator = new VmCreator(Files.createDirectories(home.resolve("vms")), home.resolve("run"),
                DaemonConfig.load(home.resolve("none.toml"), Map.of()), store, null, vmm, locks,
                new VmPortService(new VmRows(store), locks, null, vmm, java.util.Optional.empty(), new HostPorts(1024)),
                new GuestNetworks(DaemonConfig.load(home.resolve("none.toml"), Map.of()), null));
    }

    @AfterEach
    void tearDown() throws Exception {
        store.close();
        vmm.close();
    }

    @Test
    void userMistakesAreInvalidInputNamingTheProblem() {
        assertThatThrownBy(() -> creator.validate(null, 0, null, null, null)).isInstanceOf(RpcException.class).hasMessageContaining("vcpu");
        assertThatThrownBy(() -> creator.validate(null, null, -1, null, null)).isInstanceOf(RpcException.class).hasMessageContaining("memory");
        assertThatThrownBy(() -> creator.validate(null, null, null, "lots", null)).isInstanceOf(RpcException.class);
        assertThatThrownBy(() -> creator.validate("Not A Name!", null, null, null, null)).isInstanceOf(RpcException.class);
    }

    @Test
    void defaultsComeFromTheConfigurationAndTheNameIsStripped() throws Exception {
        DaemonConfig config = DaemonConfig.load(home.resolve("none.toml"), Map.of());
        VmCreator.Validated v = creator.validate("  box  ", null, null, null, null);
        assertThat(v.name()).isEqualTo("box");
        assertThat(v.spec()).isEqualTo(new VmSpec(config.defaultVcpu(), config.defaultMemoryMib(), VmSpec.DEFAULT_WORK_DISK_BYTES,
                List.of(), VmSpec.DEFAULT_ROOT_DISK_BYTES));
        assertThat(creator.validate(null, 2, 256, "1G", null).spec()).isEqualTo(new VmSpec(2, 256, 1L << 30, List.of(), 8L << 30));
    }

    @Test
    void theRootSizeIsTheCallersRoundedToAMibOrTheConfiguredDefault() throws Exception {
        assertThat(VmSpec.DEFAULT_ROOT_DISK_BYTES).isEqualTo(8L << 30);
        assertThat(creator.validate(null, null, null, null, null, "16G").spec().rootDiskBytes()).isEqualTo(16L << 30);
        assertThat(creator.validate(null, null, null, null, null, "1000000").spec().rootDiskBytes()).isEqualTo(1L << 20);
        assertThatThrownBy(() -> creator.validate(null, null, null, null, null, "lots"))
                .isInstanceOf(RpcException.class).hasMessageContaining("root size");
        Files.writeString(home.resolve("config.toml"), "default_root_size = \"12G\"\n");
        VmCreator configured = new VmCreator(home.resolve("vms"), home.resolve("run"),
                DaemonConfig.load(home.resolve("config.toml"), Map.of()), store, null, vmm, locks,
                new VmPortService(new VmRows(store), locks, null, vmm, java.util.Optional.empty(), new HostPorts(1024)),
                new GuestNetworks(DaemonConfig.load(home.resolve("config.toml"), Map.of()), null));
        assertThat(configured.validate(null, null, null, null, null).spec().rootDiskBytes()).isEqualTo(12L << 30);
        Files.writeString(home.resolve("config.toml"), "default_root_size = \"lots\"\n");
        assertThatThrownBy(() -> DaemonConfig.load(home.resolve("config.toml"), Map.of())).hasMessageContaining("default_root_size");
    }

    @Test
    void aRootSizeGivenSmallerThanTheImageIsRefusedButTheDefaultGrowsToALargeImage() throws Exception {
        ImageRecord big = new ImageRecord("img1", "big", "/nonexistent/rootfs.ext4", "k", "test", (10L << 30) + 5, Instant.now(), null);
        ImageRecord small = new ImageRecord("img2", "small", "/nonexistent/rootfs.ext4", "k", "test", 300L << 20, Instant.now(), null);
        VmCreator.Validated asked = creator.validate(null, null, null, null, null, "200M");
        assertThatThrownBy(() -> creator.fitRoot(asked, small)).isInstanceOf(RpcException.class)
                .hasMessage("root size 200.0 MiB is smaller than image small (300.0 MiB); use at least 300.0 MiB")
                .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(dev.banger.core.rpc.RpcErrors.INVALID_PARAMS));
        assertThat(creator.fitRoot(creator.validate(null, null, null, null, null, "300M"), small).spec().rootDiskBytes())
                .as("exactly the image's size fits").isEqualTo(300L << 20);
        VmCreator.Validated byDefault = creator.validate(null, null, null, null, null);
        assertThat(creator.fitRoot(byDefault, small).spec().rootDiskBytes()).isEqualTo(8L << 30);
        assertThat(creator.fitRoot(byDefault, big).spec().rootDiskBytes()).as("the image's size, rounded up to a MiB")
                .isEqualTo((10L << 30) + (1L << 20));
        assertThatThrownBy(() -> creator.fitRoot(creator.validate(null, null, null, null, null, "8G"), big))
                .isInstanceOf(RpcException.class).hasMessageContaining("smaller than image big");
    }

    @Test
    void theReservedRowIsCreatedWithTheDriversLayoutAndItsOwnDirectory() throws Exception {
        VmCreator.Reservation r = creator.reserve(creator.validate("box", null, null, null, null), image);
        r.lock().close();
        VmRecord vm = store.vmById(r.vm().id()).orElseThrow();
        assertThat(vm.state()).isEqualTo(VmState.CREATED);
        Path vmDir = home.resolve("vms").resolve(vm.id());
        assertThat(vmDir).isDirectory();
        assertThat(vm.runtime().overlayPath()).isEqualTo(vmDir.resolve("root.raw").toString());
        assertThat(vm.runtime().qmpSocket()).isEqualTo(home.resolve("run").resolve(vm.id() + ".ctl").toString());
        assertThat(vm.runtime().agentSocket()).isEqualTo(home.resolve("run").resolve(vm.id() + ".agent").toString());
        assertThat(vm.runtime().dnsName()).isEqualTo("box.vm");
    }

    @Test
    void anExistingNameIsAConflictAndEveryVmGetsItsOwnAddress() throws Exception {
        VmCreator.Reservation a = creator.reserve(creator.validate("a", null, null, null, null), image);
        VmCreator.Reservation b = creator.reserve(creator.validate("", null, null, null, null), image);
        a.lock().close();
        b.lock().close();
        assertThat(b.vm().name()).as("a generated name").isNotBlank().isNotEqualTo("a");
        assertThat(a.vm().runtime().guestIp()).isNotEqualTo(b.vm().runtime().guestIp());
        assertThatThrownBy(() -> creator.reserve(creator.validate("a", null, null, null, null), image))
                .isInstanceOf(RpcException.class).hasMessage("vm name already exists: a");
        assertThat(store.listVms()).hasSize(2);
    }
}
