package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** restart, kill, prune, id-prefix lookup, the SSH forward, SIGTERM of bangerd, and a caller that walks away. */
class MoreVerbsE2eTest extends BootingE2eTest {
    @Test
    void restartKillPruneAndPrefixLookup() throws Exception {
        JsonNode vm = Banger.run("vm", "create", "--name", "verbs", "--json").json();
        String id = vm.path("id").asText();
        long firstPid = vm.path("runtime").path("pid").asLong();
        assertThat(Banger.run("vm", "show", id.substring(0, 6), "--json").json().path("name").asText()).isEqualTo("verbs");

        Banger.ok("vm", "restart", "verbs");
        JsonNode restarted = Banger.run("vm", "show", "verbs", "--json").json();
        assertThat(restarted.path("state").asText()).isEqualTo("running");
        assertThat(restarted.path("runtime").path("pid").asLong()).isNotEqualTo(firstPid);
        assertThat(Banger.isRunning(firstPid)).isFalse();

        long secondPid = restarted.path("runtime").path("pid").asLong();
        Banger.ok("vm", "kill", "verbs");
        assertThat(Banger.isRunning(secondPid)).isFalse();
        assertThat(Banger.run("vm", "show", "verbs", "--json").json().path("state").asText()).isEqualTo("stopped");

        Banger.ok("vm", "create", "--name", "verbs-keep");
        assertThat(Banger.ok("vm", "prune").strip()).isEqualTo("verbs");
        assertThat(Banger.run("vm", "show", "verbs").exit()).isNotZero();
        assertThat(Banger.run("vm", "show", "verbs-keep", "--json").json().path("state").asText()).isEqualTo("running");
        Banger.ok("vm", "rm", "--force", "verbs-keep");
    }

    @Test
    void sshIsForwardedFromLoopback() throws Exception {
        JsonNode vm = Banger.run("vm", "create", "--name", "sshd", "--json").json();
        int port = vm.path("runtime").path("ssh_port").asInt();
        assertThat(port).isPositive();
        String banner = "";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!banner.startsWith("SSH-2.0-") && System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(3000);
                InputStream in = s.getInputStream();
                byte[] buf = new byte[64];
                int n = in.read(buf);
                banner = n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : "";
            } catch (java.io.IOException notYet) {
                Thread.sleep(500);
            }
        }
        assertThat(banner).startsWith("SSH-2.0-OpenSSH");
        Banger.ok("vm", "rm", "--force", "sshd");
    }

    @Test
    void sigtermStopsTheDaemonCleanlyAndVmsKeepRunning() throws Exception {
        JsonNode vm = Banger.run("vm", "create", "--name", "term", "--json").json();
        long qemu = vm.path("runtime").path("pid").asLong();
        long daemon = Banger.daemonPid();
        ProcessHandle ph = ProcessHandle.of(daemon).orElseThrow();
        new ProcessBuilder("kill", "-TERM", Long.toString(daemon)).start().waitFor();
        ph.onExit().get(15, TimeUnit.SECONDS);
        assertThat(Banger.runtimeDir().resolve("bangerd.sock")).doesNotExist();
        assertThat(Banger.isRunning(qemu)).isTrue();
        assertThat(Banger.ok("vm", "exec", "term", "--", "echo", "after-sigterm").strip()).isEqualTo("after-sigterm");
        Banger.ok("vm", "rm", "--force", "term");
    }

    @Test
    void callerThatDisconnectsMidBootCancelsAndRollsBack() throws Exception {
        Banger.ok("vm", "ls");
        Banger.Leftovers before = Banger.leftovers();
        ProcessBuilder pb = new ProcessBuilder(Banger.ROOT.resolve("bin/banger").toString(), "vm", "create", "--name", "walkaway");
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        Process cli = pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long qemu = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (qemu == 0 && System.nanoTime() < deadline) {
            Banger.Result r = Banger.run("vm", "show", "walkaway", "--json");
            if (r.exit() == 0) qemu = r.json().path("runtime").path("pid").asLong(0);
            if (qemu == 0) Thread.sleep(50);
        }
        assertThat(qemu).as("qemu started").isPositive();
        cli.destroyForcibly();
        cli.waitFor(10, TimeUnit.SECONDS);
        JsonNode vm = null;
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            vm = Banger.run("vm", "show", "walkaway", "--json").json();
            if (vm.path("state").asText().equals("error")) break;
            Thread.sleep(100);
        }
        assertThat(vm.path("state").asText()).isEqualTo("error");
        assertThat(vm.path("runtime").path("last_error").asText()).contains("cancel");
        assertThat(Banger.isRunning(qemu)).isFalse();
        // rolled back: every file and socket this start made is gone, only the row in state error stays
        String id = vm.path("id").asText();
        java.nio.file.Path dir = Banger.stateDir().resolve("vms").resolve(id);
        for (String made : List.of("root.qcow2", "work.ext4", "vm-initrd.img", "handles.json", "qemu.pid")) {
            assertThat(dir.resolve(made)).as(made).doesNotExist();
        }
        assertThat(Banger.runtimeDir().resolve(id + ".qmp")).doesNotExist();
        assertThat(Banger.runtimeDir().resolve(id + ".agent")).doesNotExist();
        Banger.Leftovers added = before.addedIn(Banger.leftovers());
        assertThat(added.processes()).as("processes").isEmpty();
        assertThat(added.runtimeEntries()).as("runtime entries").isEmpty();
        Banger.ok("vm", "rm", "walkaway");
        assertThat(before.addedIn(Banger.leftovers())).as("after rm: nothing at all").isEqualTo(Banger.Leftovers.NONE);
    }

    /** Regression: connecting to one VM's agent held a daemon-wide lock, so a hung guest blocked exec into every other VM. */
    @Test
    void execIntoOneVmIsNotBlockedByAnotherWhoseAgentHangs() throws Exception {
        JsonNode frozenVm = Banger.run("vm", "create", "--name", "frozen", "--json").json();
        long frozen = frozenVm.path("runtime").path("pid").asLong();
        Banger.ok("vm", "create", "--name", "lively");
        Banger.ok("daemon", "stop");  // the next daemon has no agent connections yet
        new ProcessBuilder("kill", "-STOP", Long.toString(frozen)).start().waitFor();
        ProcessBuilder hung = new ProcessBuilder(Banger.ROOT.resolve("bin/banger").toString(), "vm", "exec", "frozen", "--", "true");
        hung.environment().put("BANGER_HOME", Banger.home().toString());
        Process stuck = null;
        try {
            // a daemon that logs its connect attempts: the barrier below reads them
            Banger.Result ls = Banger.run(Map.of("BANGER_LOG_LEVEL", "DEBUG"), java.time.Duration.ofMinutes(2), "vm", "ls");
            assertThat(ls.exit()).isZero();
            stuck = hung.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            // barrier: the hung exec holds frozen's connect lock once bangerd logs that it is connecting
            String connecting = "vm " + frozenVm.path("id").asText() + ": connecting to its guest agent";
            java.nio.file.Path log = Banger.stateDir().resolve("bangerd.log");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(java.nio.file.Files.exists(log) && java.nio.file.Files.readString(log).contains(connecting))) {
                assertThat(System.nanoTime()).as("bangerd started connecting to frozen's agent").isLessThan(until);
                Thread.sleep(20);
            }
            long t0 = System.nanoTime();
            assertThat(Banger.ok("vm", "exec", "lively", "--", "echo", "not-blocked").strip()).isEqualTo("not-blocked");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("exec into lively (ms)").isLessThan(8_000);
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(frozen)).start().waitFor();
            if (stuck != null) {
                stuck.destroyForcibly();
                stuck.waitFor(10, TimeUnit.SECONDS);
            }
        }
        Banger.ok("vm", "rm", "--force", "frozen", "lively");
    }
}
