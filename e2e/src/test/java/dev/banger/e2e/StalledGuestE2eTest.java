package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 item 3 with a real guest: its agent is SIGSTOPped (so the guest stops draining its
 * virtio-serial channel) while `vm exec -i` streams stdin into it, which backs the host's agent
 * connection up. `vm stop` must still end (agent shutdown gives up, ACPI, then kill at its
 * timeout), and `vm kill` / `vm rm -f` issued meanwhile must end within 15 s.
 */
class StalledGuestE2eTest extends BootingE2eTest {
    private static final String STOP_THE_AGENT =
            "for p in /proc/[0-9]*; do n=${p#/proc/}; [ \"$n\" = 1 ] && continue; "
            + "[ \"$(cat $p/comm 2>/dev/null)\" = banger-agent ] && kill -STOP $n; done; echo stopped";

    @Test
    void aGuestThatStopsReadingCannotMakeItsVmUnstoppable() throws Exception {
        Banger.ok("vm", "create", "--name", "stall");
        long qemuPid = Banger.run("vm", "show", "stall", "--json").json().path("runtime").path("pid").asLong();
        assertThat(Banger.isRunning(qemuPid)).isTrue();
        List<Process> clients = new ArrayList<>();
        try {
            Process feeder = stopTheAgentAndFeedItStdin("stall", clients);

            CompletableFuture<Banger.Result> stop = CompletableFuture.supplyAsync(() -> run("vm", "stop", "--timeout", "5", "stall"));
            Thread.sleep(1000);
            long t0 = System.nanoTime();
            Banger.Result kill = run("vm", "kill", "stall");
            long killMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("stalled guest: vm kill took %d ms%n", killMs);
            assertThat(kill.exit()).as("vm kill: " + kill.stderr()).isZero();
            assertThat(killMs).isLessThan(15_000);
            Banger.Result stopped = stop.get(15, TimeUnit.SECONDS);
            assertThat(stopped.exit()).as("vm stop: " + stopped.stderr()).isZero();
            assertThat(Banger.isRunning(qemuPid)).as("QEMU still running").isFalse();
            assertThat(feeder.waitFor(15, TimeUnit.SECONDS)).as("the stdin exec ended with its VM").isTrue();

            t0 = System.nanoTime();
            Banger.ok("vm", "rm", "--force", "stall");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(15_000);
        } finally {
            endAll(clients);
        }
    }

    @Test
    void stopOfAGuestThatStopsReadingFallsThroughToKillAtItsTimeout() throws Exception {
        Banger.ok("vm", "create", "--name", "stall2");
        List<Process> clients = new ArrayList<>();
        try {
            stopTheAgentAndFeedItStdin("stall2", clients);
            long t0 = System.nanoTime();
            Banger.Result stop = Banger.run(Map.of(), Duration.ofSeconds(60), "vm", "stop", "--timeout", "5", "stall2");
            long stopMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("stalled guest: vm stop --timeout 5 took %d ms%n", stopMs);
            assertThat(stop.exit()).as("vm stop: " + stop.stderr()).isZero();
            assertThat(stopMs).isLessThan(15_000);
            assertThat(Banger.run("vm", "show", "stall2", "--json").json().path("state").asText()).isEqualTo("stopped");
        } finally {
            endAll(clients);
        }
    }

    /**
     * Regression (issue 8.3): kill waited behind a graceful stop for the whole stop timeout. A frozen
     * QEMU (SIGSTOP: its agent and QMP accept connections in the kernel and never answer) under
     * {@code vm stop --timeout 600}: {@code vm kill} must still end the VM within 15 s, and the stop
     * returns soon after, with the VM stopped.
     */
    @Test
    void killEndsAFrozenVmWithinItsBoundWhileALongStopWaits() throws Exception {
        long qemuPid = Banger.run("vm", "create", "--name", "frozen-stop", "--json").json().path("runtime").path("pid").asLong();
        new ProcessBuilder("kill", "-STOP", Long.toString(qemuPid)).start().waitFor();
        try {
            CompletableFuture<Banger.Result> stop = CompletableFuture.supplyAsync(() -> run("vm", "stop", "--timeout", "600", "frozen-stop"));
            // barrier: the stop is waiting on the guest once the daemon has it in progress; give it its first wait
            Thread.sleep(3000);
            assertThat(stop).as("the stop is still waiting on the frozen guest").isNotDone();
            long t0 = System.nanoTime();
            Banger.Result kill = run("vm", "kill", "frozen-stop");
            long killMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("frozen guest under a 600 s stop: vm kill took %d ms%n", killMs);
            assertThat(kill.exit()).as("vm kill: " + kill.stderr()).isZero();
            assertThat(killMs).isLessThan(15_000);
            assertThat(Banger.isRunning(qemuPid)).isFalse();
            Banger.Result stopped = stop.get(15, TimeUnit.SECONDS);
            assertThat(stopped.exit()).as("vm stop: " + stopped.stderr()).isZero();
            assertThat(Banger.run("vm", "show", "frozen-stop", "--json").json().path("state").asText()).isEqualTo("stopped");
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(qemuPid)).start().waitFor();
        }
        Banger.ok("vm", "rm", "--force", "frozen-stop");
    }

    /**
     * Stops the guest's agent (the exec that does it never gets its EXIT: it is left running), then
     * streams stdin into a {@code vm exec -i cat} until the channel, bangerd's write queue and the RPC
     * socket are full. Returns that exec's process; both are added to {@code clients}.
     */
    private static Process stopTheAgentAndFeedItStdin(String vm, List<Process> clients) throws Exception {
        clients.add(cli("vm", "exec", vm, "--", "sh", "-c", STOP_THE_AGENT));
        Thread.sleep(3000);
        Process feeder = cli("vm", "exec", "-i", vm, "--", "cat");
        clients.add(feeder);
        Thread.ofVirtual().start(() -> {
            byte[] chunk = new byte[64 * 1024];
            try (OutputStream in = feeder.getOutputStream()) {
                while (true) in.write(chunk);  // until everything on the way is full, or the call ends
            } catch (IOException ended) {
                // the exec is over
            }
        });
        Thread.sleep(5000);
        return feeder;
    }

    /** Ends the CLI processes a test started, and whatever they started, by PID. */
    private static void endAll(List<Process> clients) throws InterruptedException {
        for (Process p : clients) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Banger.Result run(String... args) {
        try {
            return Banger.run(Map.of(), Duration.ofSeconds(60), args);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Process cli(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Banger.ROOT.resolve("bin/banger").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        return pb.start();
    }
}
