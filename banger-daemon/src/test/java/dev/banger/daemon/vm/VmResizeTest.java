package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.ProgressSink;
import dev.banger.core.api.VmCreateParams;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.host.HostCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm resize} through a whole VmService (FakeVmm for the root disk, real e2fsprogs on a real
 * work disk): a stopped VM's disks grow and the row says so; a running VM and shrinking are refused
 * with their kinds and change nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VmResizeTest {
    @TempDir Path home;
    private VmTestBed bed;

    @BeforeEach
    void setUp() throws Exception {
        bed = new VmTestBed(home, null, List.of());
    }

    @AfterEach
    void tearDown() throws Exception {
        bed.close();
    }

    private VmRecord create(String name, boolean noStart) throws Exception {
        return bed.vms.create(new VmCreateParams(name, null, null, 128, "16M", noStart, false, null, "1G", false), ProgressSink.NONE);
    }

    private static void assertCode(Throwable t, int code, String text) {
        assertThat(t).isInstanceOf(RpcException.class).hasMessageContaining(text);
        assertThat(((RpcException) t).code()).as(t.getMessage()).isEqualTo(code);
    }

    /** Block count times block size, as the filesystem itself records it. */
    private static long filesystemBytes(Path disk) throws Exception {
        String out = HostCommand.of(List.of("dumpe2fs", "-h", disk.toString()), Duration.ofSeconds(30)).run().stdout();
        long blocks = 0;
        long size = 0;
        for (String line : out.lines().toList()) {
            if (line.startsWith("Block count:")) blocks = Long.parseLong(line.substring(12).strip());
            if (line.startsWith("Block size:")) size = Long.parseLong(line.substring(11).strip());
        }
        return blocks * size;
    }

    /** What the file costs on the host: its allocated 512-byte blocks. */
    private static long allocatedBytes(Path file) throws Exception {
        return 512 * Long.parseLong(HostCommand.of(List.of("stat", "-c", "%b", file.toString()), Duration.ofSeconds(10)).run().stdout().strip());
    }

    @Test
    void aStoppedVmsDisksGrowAndTheRowSaysSo() throws Exception {
        VmRecord vm = create("box", false);
        Path root = Path.of(vm.runtime().overlayPath());
        Path work = Path.of(vm.runtime().workDiskPath());
        assertThat(Files.size(root)).as("the root disk is made at the root size").isEqualTo(1L << 30);
        bed.vms.kill("box");   // a killed guest: the work disk's check replays whatever it left

        VmRecord resized = bed.vms.resize("box", "2G", "64M");
        assertThat(resized.spec().rootDiskBytes()).isEqualTo(2L << 30);
        assertThat(resized.spec().workDiskBytes()).isEqualTo(64L << 20);
        assertThat(bed.row(vm.id()).spec()).isEqualTo(resized.spec());
        assertThat(Files.size(root)).isEqualTo(2L << 30);
        assertThat(Files.size(work)).isEqualTo(64L << 20);
        assertThat(filesystemBytes(work)).as("resize2fs filled the file").isEqualTo(64L << 20);
        assertThat(HostCommand.of(List.of("e2fsck", "-fn", work.toString()), Duration.ofSeconds(30)).runUnchecked().exitCode())
                .as("the grown work disk is clean").isZero();
        assertThat(allocatedBytes(work)).as("grown sparsely: resize2fs writes metadata, not 48 MiB of zeros").isLessThan(16L << 20);

        VmRecord same = bed.vms.resize("box", "2G", null);
        assertThat(same.spec()).as("the same size is no change").isEqualTo(resized.spec());
        bed.vms.start("box", ProgressSink.NONE);
        assertThat(Files.size(root)).as("a start keeps the grown root disk").isEqualTo(2L << 30);
    }

    @Test
    void aRunningVmIsAConflictAndNothingChanges() throws Exception {
        VmRecord vm = create("live", false);
        Path work = Path.of(vm.runtime().workDiskPath());
        long workBefore = Files.size(work);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.resize("live", "4G", "64M"));
        assertCode(t, RpcErrors.CONFLICT, "stop it first");
        assertThat(Files.size(Path.of(vm.runtime().overlayPath()))).isEqualTo(1L << 30);
        assertThat(Files.size(work)).isEqualTo(workBefore);
        assertThat(bed.row(vm.id()).spec()).isEqualTo(vm.spec());
    }

    @Test
    void shrinkingIsRefusedWithTheReasonBeforeEitherDiskIsTouched() throws Exception {
        VmRecord vm = create("small", false);
        bed.vms.stop("small", Duration.ofSeconds(5));
        Path work = Path.of(vm.runtime().workDiskPath());
        long workBefore = Files.size(work);
        // The work disk would grow, but the root would shrink: neither happens.
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.resize("small", "512M", "64M"));
        assertCode(t, RpcErrors.INVALID_PARAMS, "cannot shrink the root disk from 1.0 GiB to 512.0 MiB");
        assertThat(Files.size(work)).isEqualTo(workBefore);
        assertThat(Files.size(Path.of(vm.runtime().overlayPath()))).isEqualTo(1L << 30);
        assertCode(org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.resize("small", null, "8M")),
                RpcErrors.INVALID_PARAMS, "cannot shrink the work disk");
        assertCode(org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.resize("small", null, null)),
                RpcErrors.INVALID_PARAMS, "nothing to resize");
        assertCode(org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.resize("small", "big", null)),
                RpcErrors.INVALID_PARAMS, "root size");
        assertCode(org.assertj.core.api.Assertions.catchThrowable(() -> bed.vms.resize("nosuch", "2G", null)),
                RpcErrors.NOT_FOUND, "nosuch");
        assertThat(bed.row(vm.id()).spec()).isEqualTo(vm.spec());
    }

    @Test
    void aVmNeverStartedGetsItsDisksMadeAtTheNewSizes() throws Exception {
        VmRecord vm = create("later", true);
        assertThat(Path.of(vm.runtime().overlayPath())).doesNotExist();
        VmRecord resized = bed.vms.resize("later", "3G", "32M");
        assertThat(resized.spec().rootDiskBytes()).isEqualTo(3L << 30);
        bed.vms.start("later", ProgressSink.NONE);
        assertThat(Files.size(Path.of(vm.runtime().overlayPath()))).isEqualTo(3L << 30);
        assertThat(Files.size(Path.of(vm.runtime().workDiskPath()))).isEqualTo(32L << 20);
    }
}
