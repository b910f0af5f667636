package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Bad input gets one line on stderr and a non-zero exit, never a stack trace. */
class BadInputE2eTest extends BootingE2eTest {
    private static void refused(String expected, String... args) throws Exception {
        Banger.Result r = Banger.run(args);
        assertThat(r.exit()).as(String.join(" ", args)).isNotZero();
        assertThat(r.stderr().strip()).as(String.join(" ", args)).startsWith("banger: ").contains(expected).doesNotContain("\n");
    }

    @Test
    void eachBadInputIsRefusedClearly() throws Exception {
        refused("no such vm: ghost", "vm", "show", "ghost");
        refused("no such vm: ghost", "vm", "exec", "ghost", "--", "true");
        refused("invalid vm name", "vm", "create", "--name", "Not_A_Label", "--no-start");
        refused("vcpu must be a positive integer", "vm", "create", "--vcpu", "0", "--no-start");
        refused("memory must be a positive integer", "vm", "create", "--memory", "0", "--no-start");
        refused("unparseable size \"lots\"", "vm", "create", "--disk-size", "lots", "--no-start");
        refused("image not found: nope", "vm", "create", "--image", "nope", "--no-start");
        Banger.ok("vm", "create", "--name", "taken", "--no-start");
        refused("vm name already exists: taken", "vm", "create", "--name", "taken", "--no-start");
        refused("is not running", "vm", "exec", "taken", "--", "true");
        Banger.ok("vm", "rm", "taken");
    }

    @Test
    void badImageAndKernelInputIsRefusedClearly() throws Exception {
        refused("is not in any catalog", "kernel", "pull", "no-such-kernel");
        refused("kernel name may only contain", "kernel", "pull", "bad/name");
        refused("give exactly one of --deb or --from", "kernel", "import", "k");
        refused("no such directory", "kernel", "import", "k", "--from", "/nonexistent-dir");
        refused("catalog /nonexistent-catalog.json: no such file", "kernel", "ls", "--available", "--catalog", "/nonexistent-catalog.json");
        refused("not an ext4 filesystem image", "image", "register", "notext4", "--rootfs", "/etc/hostname");
        refused("kernel not found: nokernel", "image", "register", "x", "--rootfs",
                Banger.run("image", "show", "debian").json().path("rootfs_path").asText(), "--kernel-ref", "nokernel");
        refused("invalid repository name 'UPPER/Case'", "image", "pull", "UPPER/Case:tag");
        refused("image not found: 127.0.0.1:1/none/such:1", "image", "show", "127.0.0.1:1/none/such:1");
        refused("no such file or directory", "image", "import", "x", "/nonexistent-rootfs.tar");
        refused("no such vm: ghost", "vm", "ssh", "ghost");
    }
}
