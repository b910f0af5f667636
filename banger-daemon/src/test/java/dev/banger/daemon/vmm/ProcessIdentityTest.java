package dev.banger.daemon.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A PID only counts as ours when /proc/PID/cmdline names the VM's QMP socket, so a recycled
 * PID is never killed" (docs/architecture.md, Crash safety), against real processes: a stranger
 * holding the recorded PID survives every teardown call; a process that names the socket dies.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessIdentityTest {
    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killEverythingStarted() throws InterruptedException {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private Process start(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    /**
     * A shell loop whose command line carries the socket path as $0, the way QEMU's carries its
     * -qmp argument. It says "ready" once its trap is set, so no signal can arrive before it.
     */
    private Process vmmNaming(String qmpSocket, boolean ignoresSigterm) throws Exception {
        String loop = (ignoresSigterm ? "trap '' TERM; " : "") + "echo ready; while :; do sleep 0.1; done";
        Process p = new ProcessBuilder("sh", "-c", loop, qmpSocket).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        String first = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
        assertThat(first).isEqualTo("ready");
        return p;
    }

    private String qmpSocket() {
        return tmp.resolve("vms/0123456789abcdef/qmp.sock").toString();
    }

    @Test
    void aRecycledPidIsNeverKilled() throws Exception {
        Process stranger = start("sleep", "600");   // holds the PID the VM's records name, but is someone else
        String marker = qmpSocket();
        assertThat(ProcessIdentity.matches(stranger.pid(), marker)).isFalse();
        assertThat(ProcessIdentity.kill(stranger.pid(), marker)).as("nothing of ours to kill").isTrue();
        assertThat(ProcessIdentity.terminate(stranger.pid(), marker, Duration.ofMillis(200))).isTrue();
        assertThat(ProcessIdentity.waitGone(stranger.pid(), marker, Duration.ofMillis(100))).isTrue();
        assertThat(stranger.waitFor(500, TimeUnit.MILLISECONDS)).as("the stranger is still running").isFalse();
        assertThat(stranger.isAlive()).isTrue();
    }

    @Test
    void anotherVmsProcessIsNotOurs() throws Exception {
        Process other = vmmNaming(tmp.resolve("vms/fedcba9876543210/qmp.sock").toString(), false);
        assertThat(ProcessIdentity.kill(other.pid(), qmpSocket())).isTrue();
        assertThat(other.waitFor(300, TimeUnit.MILLISECONDS)).isFalse();
    }

    @Test
    void aProcessNamingTheSocketIsOursAndKillEndsIt() throws Exception {
        String marker = qmpSocket();
        Process vmm = vmmNaming(marker, false);
        assertThat(ProcessIdentity.matches(vmm.pid(), marker)).isTrue();
        assertThat(ProcessIdentity.kill(vmm.pid(), marker)).isTrue();
        assertThat(vmm.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessIdentity.matches(vmm.pid(), marker)).isFalse();
    }

    @Test
    void terminateEscalatesToSigkillAfterTheGrace() throws Exception {
        String marker = qmpSocket();
        Process stubborn = vmmNaming(marker, true);
        long t0 = System.nanoTime();
        assertThat(ProcessIdentity.terminate(stubborn.pid(), marker, Duration.ofMillis(300))).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("waited the grace first").isGreaterThanOrEqualTo(300);
        assertThat(stubborn.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(stubborn.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
    }

    @Test
    void waitGoneGivesUpOnALiveProcessAtTheTimeout() throws Exception {
        String marker = qmpSocket();
        Process vmm = vmmNaming(marker, false);
        assertThat(ProcessIdentity.waitGone(vmm.pid(), marker, Duration.ofMillis(100))).isFalse();
        assertThat(vmm.isAlive()).isTrue();
    }

    @Test
    void noPidOrNoMarkerNeverMatches() {
        long self = ProcessHandle.current().pid();
        assertThat(ProcessIdentity.matches(0, "x")).isFalse();
        assertThat(ProcessIdentity.matches(-1, "x")).isFalse();
        assertThat(ProcessIdentity.matches(self, null)).isFalse();
        assertThat(ProcessIdentity.matches(self, "")).as("an empty marker is in every command line").isFalse();
    }
}
