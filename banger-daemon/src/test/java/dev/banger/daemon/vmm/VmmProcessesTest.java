package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes whose command lines look like banger's VMMs (argv[0] set with bash's exec -a). */
class VmmProcessesTest {
    @TempDir Path tmp;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killStarted() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private long fakeVmm(Path runtimeDir, String vmId) throws Exception {
        String argv0 = "qemu-system-x86_64 -M microvm -qmp unix:" + runtimeDir.resolve(vmId + ".qmp") + ",server=on,wait=off";
        Process p = new ProcessBuilder("bash", "-c", "exec -a \"$0\" sleep 600", argv0).start();
        started.add(p);
        Path cmdline = Path.of("/proc", Long.toString(p.pid()), "cmdline");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!new String(Files.readAllBytes(cmdline)).contains(vmId) && System.nanoTime() < deadline) Thread.sleep(5);
        return p.pid();
    }

    @Test
    void findsEveryVmmOfThisHomeAndNoneOfAnother() throws Exception {
        Path mine = Files.createDirectories(tmp.resolve("home-a/run"));
        Path other = Files.createDirectories(tmp.resolve("home-b/run"));
        long a = fakeVmm(mine, "00000000000000aa");
        long b = fakeVmm(mine, "00000000000000bb");
        fakeVmm(other, "00000000000000cc");

        List<VmmProcesses.Found> found = new VmmProcesses().under(mine);

        assertThat(found).extracting(VmmProcesses.Found::pid).containsExactlyInAnyOrder(a, b);
        assertThat(found).extracting(VmmProcesses.Found::vmId).containsExactlyInAnyOrder("00000000000000aa", "00000000000000bb");
        assertThat(found).allSatisfy(f -> assertThat(ProcessIdentity.matches(f.pid(), f.controlSocket())).isTrue());
    }

    @Test
    void aRuntimeDirThatOnlyPrefixesAnotherDoesNotMatchIt() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        Path longer = Files.createDirectories(tmp.resolve("run2"));
        fakeVmm(longer, "00000000000000dd");
        assertThat(new VmmProcesses().under(run)).isEmpty();
    }
}
