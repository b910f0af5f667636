package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regression (issue 8.11): a comma in a path (BANGER_HOME=/tmp/a,b) broke QEMU's option lists. */
class QemuVmmPathTest {
    @TempDir Path tmp;

    private LaunchSpec specUnder(Path dir) {
        return new LaunchSpec("00000000000000aa", dir.resolve("vmlinux"), dir.resolve("initrd.img"), dir.resolve("root.qcow2"), "raw",
                dir.resolve("work.ext4"), new LaunchSpec.Sockets(dir.resolve("x.qmp"), dir.resolve("x.agent")),
                dir.resolve("console.log"), dir.resolve("qemu.pid"), 1, 128, null, Accel.TCG);
    }

    @Test
    void commasAreDoubledInsideOptionListsOnly() {
        List<String> cmd = new QemuVmm("qemu-system-x86_64", 2_000_000).commandLine(specUnder(Path.of("/h/a,b")));
        assertThat(cmd).contains("id=root,file=/h/a,,b/root.qcow2,format=raw,if=none,discard=unmap",
                "id=work,file=/h/a,,b/work.ext4,format=raw,if=none,discard=unmap",
                "socket,id=agent,path=/h/a,,b/x.agent,server=on,wait=off", "unix:/h/a,,b/x.qmp,server=on,wait=off",
                "socket,id=console,path=/h/a,,b/x.console,server=on,wait=off");
        // plain arguments are not option lists: doubling there would name another file
        assertThat(cmd.get(cmd.indexOf("-kernel") + 1)).isEqualTo("/h/a,b/vmlinux");
        assertThat(cmd.get(cmd.indexOf("-initrd") + 1)).isEqualTo("/h/a,b/initrd.img");
        assertThat(cmd.get(cmd.indexOf("-pidfile") + 1)).isEqualTo("/h/a,b/qemu.pid");
    }

    /** The real QEMU gets past every path (drives, chardevs, QMP) and stops only at the bogus kernel. */
    @Test
    void realQemuOpensEveryPathUnderADirectoryWithAComma() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("a,b"));
        LaunchSpec spec = specUnder(dir);
        Files.writeString(spec.kernel(), "not a kernel");
        Files.writeString(spec.initrd(), "");
        for (Path disk : List.of(spec.rootDisk(), spec.workDisk())) {
            try (var f = new java.io.RandomAccessFile(disk.toFile(), "rw")) {
                f.setLength(1 << 20);
            }
        }
        Throwable failure = catchThrowable(() -> new QemuVmm("qemu-system-x86_64", 2_000_000).launch(spec));
        // QEMU opened the drives and chardevs, then refused the kernel's contents (not its path)
        assertThat(failure).hasMessageMatching("(?s).*(invalid kernel header|kernel too old).*")
                .hasMessageNotContaining("Could not open").hasMessageNotContaining("could not open")
                .hasMessageNotContaining("Failed to bind");
    }

    @Test
    void processIdentityRecognisesAControlSocketWhoseCommasQemuDoubled() throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "exec -a \"$0\" sleep 600", "qemu -qmp unix:/h/a,,b/x.qmp,server=on").start();
        try {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!ProcessIdentity.matches(p.pid(), "/h/a,b/x.qmp") && System.nanoTime() < deadline) Thread.sleep(5);
            assertThat(ProcessIdentity.matches(p.pid(), "/h/a,b/x.qmp")).isTrue();
            assertThat(ProcessIdentity.matches(p.pid(), "/h/a,c/x.qmp")).isFalse();
        } finally {
            p.destroyForcibly().waitFor();
        }
    }
}
