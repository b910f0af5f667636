package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A root disk with room, on a real guest: a default VM's root filesystem is 8 GiB with at least 6
 * GiB free, apt-get installs a package from Debian's mirror (through QEMU user networking; checked by
 * hand first: this machine's guests reach deb.debian.org), and the host pays only for what the guest
 * wrote. {@code vm resize} grows both disks of a stopped VM, seen by df after the next start; shrinking,
 * resizing a running VM and a root smaller than the image are refused with their exit codes.
 */
class RootDiskE2eTest extends BootingE2eTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    /** {size, available} of the filesystem at {@code path} in the guest, in bytes (df -B1). */
    private static long[] df(String vm, String path) throws Exception {
        String out = Banger.ok("vm", "exec", vm, "--", "df", "-B1", "--output=size,avail", path);
        String[] last = out.strip().lines().reduce((a, b) -> b).orElseThrow().strip().split("\\s+");
        return new long[] {Long.parseLong(last[0]), Long.parseLong(last[1])};
    }

    /** What a directory costs on the host: allocated blocks (du), not file lengths. */
    private static long allocated(Path dir) throws Exception {
        Process du = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
        String out = new String(du.getInputStream().readAllBytes());
        assertThat(du.waitFor()).as(out).isZero();
        return Long.parseLong(out.strip().split("\\s+")[0]);
    }

    @Test
    void aDefaultVmHasRoomToInstallPackagesAndTheHostPaysOnlyForWhatItWrote() throws Exception {
        JsonNode vm = Banger.run("vm", "create", "--name", "roomy", "--json").json();
        assertThat(vm.path("spec").path("root_disk_bytes").asLong()).isEqualTo(8 * GIB);
        Path vmDir = Path.of(vm.path("runtime").path("vm_dir").asText());
        assertThat(Banger.ok("vm", "logs", "roomy")).contains("BANGER-INIT: grow_root grown");
        assertThat(Banger.ok("vm", "show", "roomy")).contains("root disk:   8.0 GiB");

        long[] root = df("roomy", "/");
        assertThat(root[0]).as("the root filesystem fills the 8 GiB disk (less ext4's own metadata)").isGreaterThan(7 * GIB);
        assertThat(root[1]).as("free on /").isGreaterThanOrEqualTo(6 * GIB);
        long hostBefore = allocated(vmDir);
        assertThat(hostBefore).as("a fresh VM dir: the overlay holds only what boot wrote, the work disk is sparse")
                .isLessThan(64 * MIB);

        Banger.Result apt = Banger.run("vm", "exec", "roomy", "--", "sh", "-c",
                "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q jq && jq --version");
        assertThat(apt.exit()).as(apt.stderr() + apt.stdout()).isZero();
        assertThat(apt.stdout()).contains("jq-1.");

        // 512 MiB of random data on the root: more than the image's free space ever was.
        Banger.ok("vm", "exec", "roomy", "--", "sh", "-c", "dd if=/dev/urandom of=/var/tmp/blob bs=1M count=512 status=none && sync");
        long[] after = df("roomy", "/");
        long written = root[1] - after[1];
        assertThat(written).as("the guest wrote the blob and the package").isGreaterThan(512 * MIB);
        long hostGrowth = allocated(vmDir) - hostBefore;
        System.out.printf("RootDiskE2eTest: root %d B, %d B free at boot; VM dir %d B at boot; guest filled %d B; VM dir grew %d B%n",
                root[0], root[1], hostBefore, written, hostGrowth);
        // The overhead: ext4's journal rewritten into the overlay, what apt wrote and deleted again
        // (compressed lists, partial downloads), and qcow2's 64 KiB clusters. Measured ~55 MiB here.
        assertThat(hostGrowth).as("host disk taken by the VM dir vs the %d MiB the guest's root filled", written / MIB)
                .isLessThan(written + 128 * MIB);
        Banger.ok("vm", "rm", "-f", "roomy");
    }

    @Test
    void resizeGrowsBothDisksOfAStoppedVmAndRefusesShrinkingARunningVmAndATooSmallRoot() throws Exception {
        Banger.Result tooSmall = Banger.run("vm", "create", "--name", "tiny", "--root-size", "64M", "--no-start");
        assertThat(tooSmall.exit()).as(tooSmall.stderr()).isEqualTo(2);
        assertThat(tooSmall.stderr().strip()).startsWith("banger: root size 64.0 MiB is smaller than image debian").doesNotContain("\n");
        assertThat(Banger.run("vm", "show", "tiny").exit()).as("nothing was created").isEqualTo(4);

        Banger.ok("vm", "create", "--name", "grow", "--root-size", "2G", "--disk-size", "1G");
        assertThat(df("grow", "/")[0]).isBetween(GIB + GIB / 2, 2 * GIB);
        Banger.Result running = Banger.run("vm", "resize", "grow", "--root-size", "3G");
        assertThat(running.exit()).as(running.stderr()).isEqualTo(5);
        assertThat(running.stderr()).contains("stop it first");

        Banger.ok("vm", "stop", "grow");
        Banger.Result shrink = Banger.run("vm", "resize", "grow", "--disk-size", "512M");
        assertThat(shrink.exit()).as(shrink.stderr()).isEqualTo(2);
        assertThat(shrink.stderr().strip()).isEqualTo("banger: cannot shrink the work disk from 1.0 GiB to 512.0 MiB: "
                + "disks only grow (shrinking would cut off the end of its filesystem)");

        JsonNode resized = Banger.run("vm", "resize", "grow", "--root-size", "3G", "--disk-size", "2G", "--json").json();
        assertThat(resized.path("spec").path("root_disk_bytes").asLong()).isEqualTo(3 * GIB);
        assertThat(resized.path("spec").path("work_disk_bytes").asLong()).isEqualTo(2 * GIB);
        Banger.ok("vm", "start", "grow");
        assertThat(df("grow", "/")[0]).as("root after resize").isBetween(2 * GIB + GIB / 2, 3 * GIB);
        assertThat(df("grow", "/root")[0]).as("work disk after resize").isBetween(GIB + GIB / 2, 2 * GIB);
        assertThat(Banger.ok("vm", "show", "grow")).contains("root disk:   3.0 GiB", "work disk:   2.0 GiB");
        Banger.ok("vm", "rm", "-f", "grow");
    }
}
