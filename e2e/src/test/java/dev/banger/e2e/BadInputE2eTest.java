package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Bad input gets one line on stderr and the exit status of its kind (docs/cli.md: 2 invalid input,
 * 4 not found, 5 conflict), never a stack trace.
 */
class BadInputE2eTest extends BootingE2eTest {
    private static final int INVALID = 2;
    private static final int NOT_FOUND = 4;
    private static final int CONFLICT = 5;

    private static void refused(int exit, String expected, String... args) throws Exception {
        Banger.Result r = Banger.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + ": " + r.stderr()).isEqualTo(exit);
        assertThat(r.stderr().strip()).as(String.join(" ", args)).startsWith("banger: ").contains(expected).doesNotContain("\n");
    }

    @Test
    void eachBadInputIsRefusedClearly() throws Exception {
        refused(NOT_FOUND, "no such vm: ghost", "vm", "show", "ghost");
        refused(NOT_FOUND, "no such vm: ghost", "vm", "exec", "ghost", "--", "true");
        refused(INVALID, "invalid vm name", "vm", "create", "--name", "Not_A_Label", "--no-start");
        refused(INVALID, "vcpu must be a positive integer", "vm", "create", "--vcpu", "0", "--no-start");
        refused(INVALID, "memory must be a positive integer", "vm", "create", "--memory", "0", "--no-start");
        refused(INVALID, "unparseable size \"lots\"", "vm", "create", "--disk-size", "lots", "--no-start");
        refused(NOT_FOUND, "image not found: nope", "vm", "create", "--image", "nope", "--no-start");
        Banger.ok("vm", "create", "--name", "taken", "--no-start");
        refused(CONFLICT, "vm name already exists: taken", "vm", "create", "--name", "taken", "--no-start");
        refused(CONFLICT, "is not running", "vm", "exec", "taken", "--", "true");
        Banger.ok("vm", "rm", "taken");
    }

    @Test
    void badImageAndKernelInputIsRefusedClearly() throws Exception {
        refused(NOT_FOUND, "is not in any catalog", "kernel", "pull", "no-such-kernel");
        refused(INVALID, "kernel name may only contain", "kernel", "pull", "bad/name");
        refused(INVALID, "give exactly one of --deb or --from", "kernel", "import", "k");
        refused(INVALID, "no such directory", "kernel", "import", "k", "--from", "/nonexistent-dir");
        refused(INVALID, "catalog /nonexistent-catalog.json: no such file", "kernel", "ls", "--available", "--catalog", "/nonexistent-catalog.json");
        refused(INVALID, "not an ext4 filesystem image", "image", "register", "notext4", "--rootfs", "/etc/hostname");
        refused(NOT_FOUND, "kernel not found: nokernel", "image", "register", "x", "--rootfs",
                Banger.run("image", "show", "debian", "--json").json().path("rootfs_path").asText(), "--kernel-ref", "nokernel");
        refused(INVALID, "invalid repository name 'UPPER/Case'", "image", "pull", "UPPER/Case:tag");
        refused(NOT_FOUND, "image not found: 127.0.0.1:1/none/such:1", "image", "show", "127.0.0.1:1/none/such:1");
        refused(INVALID, "no such file or directory", "image", "import", "x", "/nonexistent-rootfs.tar");
        refused(NOT_FOUND, "no such vm: ghost", "vm", "ssh", "ghost");
    }
}
