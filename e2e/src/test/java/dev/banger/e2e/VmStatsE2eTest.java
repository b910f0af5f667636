package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code vm stats} on a real guest: the figures are the VM's (memory close to --memory, disks close
 * to --root-size and --disk-size, a live uptime, CPU within what its vCPUs can use), they move when
 * the guest works (50 MiB written shows on the root; a busy loop shows as CPU), and a stopped or
 * unknown VM is refused with its exit code.
 */
class VmStatsE2eTest extends BootingE2eTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    private static JsonNode stats(String vm) throws Exception {
        JsonNode all = Banger.run("vm", "stats", vm, "--json").json();
        assertThat(all).hasSize(1);
        assertThat(all.get(0).path("name").asText()).isEqualTo(vm);
        return all.get(0);
    }

    @Test
    void statsOfARunningGuestAreItsOwnAndFollowWhatItDoes() throws Exception {
        Banger.ok("vm", "create", "--name", "meter", "--vcpu", "2", "--memory", "512", "--root-size", "2G", "--disk-size", "1G");
        JsonNode s = stats("meter");
        System.out.println("VmStatsE2eTest: " + s);
        assertThat(s.path("vcpus").asInt()).isEqualTo(2);
        assertThat(s.path("memory_total_bytes").asLong()).as("MemTotal: --memory less what the kernel keeps")
                .isBetween(400 * MIB, 512 * MIB);
        assertThat(s.path("memory_used_bytes").asLong()).isPositive().isLessThan(s.path("memory_total_bytes").asLong());
        assertThat(s.path("root_size_bytes").asLong()).as("the 2G root less ext4's metadata").isBetween(GIB + GIB / 2, 2 * GIB);
        assertThat(s.path("root_used_bytes").asLong()).isPositive().isLessThan(s.path("root_size_bytes").asLong());
        assertThat(s.path("work_size_bytes").asLong()).as("the 1G work disk").isBetween(800 * MIB, GIB);
        assertThat(s.path("uptime_seconds").asDouble()).isPositive();
        assertThat(s.path("cpu_percent").asDouble()).isBetween(0.0, 200.0);

        Banger.ok("vm", "exec", "meter", "--", "sh", "-c", "dd if=/dev/urandom of=/var/tmp/blob bs=1M count=50 status=none && sync");
        JsonNode after = stats("meter");
        long grown = after.path("root_used_bytes").asLong() - s.path("root_used_bytes").asLong();
        System.out.printf("VmStatsE2eTest: root used grew %d B after writing 50 MiB%n", grown);
        assertThat(grown).as("root used after a 50 MiB write").isGreaterThanOrEqualTo(40 * MIB);
        assertThat(after.path("uptime_seconds").asDouble()).isGreaterThan(s.path("uptime_seconds").asDouble());

        // One vCPU spinning: the VMM's CPU cannot read 0 (it would, were cutime/cstime, always 0 for
        // QEMU, read instead of utime/stime). Nothing stricter: under TCG on this shared host (load 6-9
        // on 2 cores) a quiet guest read 8-50% and a spinning one 7-98%, so "busy > quiet" was flaky.
        CompletableFuture<Banger.Result> busy = CompletableFuture.supplyAsync(() -> {
            try {
                return Banger.run(Map.of(), Duration.ofMinutes(2), "vm", "exec", "meter", "--", "timeout", "20", "sh", "-c",
                        "touch /tmp/spinning; while :; do :; done");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // sample once the loop runs (on a loaded host the CLI alone may take seconds to start)
        for (long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
             Banger.run("vm", "exec", "meter", "--", "test", "-e", "/tmp/spinning").exit() != 0; Thread.sleep(200)) {
            assertThat(System.nanoTime()).as("the busy loop started").isLessThan(end);
        }
        double spinning = stats("meter").path("cpu_percent").asDouble();
        assertThat(busy.get().exit()).as("timeout ended the loop").isEqualTo(124);
        System.out.printf("VmStatsE2eTest: CPU %.1f%% with a busy loop%n", spinning);
        assertThat(spinning).as("CPU while a vCPU spins").isGreaterThan(1.0).isLessThanOrEqualTo(200.0);

        String table = Banger.ok("vm", "stats");
        assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
                .containsExactly("NAME", "CPU", "MEM", "ROOT", "WORK", "UPTIME", "RX", "TX");
        assertThat(table).containsPattern("(?m)^meter +\\d+\\.\\d% +[\\d.]+ [KMG]iB / [\\d.]+ MiB ");

        Banger.ok("vm", "stop", "meter");
        Banger.Result stopped = Banger.run("vm", "stats", "meter");
        assertThat(stopped.exit()).as(stopped.stderr()).isEqualTo(5);
        assertThat(stopped.stderr().strip()).isEqualTo("banger: vm meter is not running (state stopped)");
        assertThat(Banger.ok("vm", "stats", "--json").strip()).as("no VM runs").isEqualTo("[ ]");
        Banger.Result ghost = Banger.run("vm", "stats", "ghost");
        assertThat(ghost.exit()).as(ghost.stderr()).isEqualTo(4);
        Banger.ok("vm", "rm", "meter");
    }
}
