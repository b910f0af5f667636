package dev.banger.daemon.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostCommandTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String MISSING = "/banger-host-command-test-no-such-path";

    @TempDir
    Path tmp;

    @Test
    void capturesStdoutAndStderrSeparately() throws Exception {
        HostCommand.Result r = HostCommand.of(List.of("ls", "-d", "/", MISSING), LONG).okExitCodes(0, 2).run();
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stdout()).isEqualTo("/\n");
        // LC_ALL=C: the untranslated message callers can match on.
        assertThat(r.stderr()).contains(MISSING).contains("No such file or directory").doesNotContain("\n/\n");
        assertThat(r.tool()).isEqualTo("ls");
    }

    @Test
    void nonOkExitNamesToolExitCodeAndLastStderrLines() {
        List<String> argv = List.of("ls", "-d", MISSING + "-a", MISSING + "-b", MISSING + "-c", MISSING + "-d",
                MISSING + "-e", MISSING + "-f", MISSING + "-g");
        assertThatThrownBy(() -> HostCommand.of(argv, LONG).run())
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("ls failed (exit 2): ")
                .hasMessageContaining(MISSING + "-g")
                .hasMessageContaining(MISSING + "-c")
                .hasMessageNotContaining(MISSING + "-b")   // only the last 5 lines
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void onlyTheAllowedExitCodesPass() throws Exception {
        assertThatThrownBy(() -> HostCommand.of(List.of("false"), LONG).run()).hasMessageStartingWith("false failed (exit 1)");
        assertThat(HostCommand.of(List.of("false"), LONG).okExitCodes(0, 1).run().exitCode()).isEqualTo(1);
        assertThat(HostCommand.of(List.of("false"), LONG).runUnchecked().exitCode()).isEqualTo(1);
        assertThatThrownBy(() -> HostCommand.of(List.of("true"), LONG).okExitCodes(1).run())
                .hasMessageStartingWith("true failed (exit 0): (no output)");
    }

    @Test
    void stdinFromFileStdoutToFileAndWorkingDirectory() throws Exception {
        byte[] data = new byte[300_000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31);
        Path in = Files.write(tmp.resolve("in"), data);
        Path out = tmp.resolve("out");
        HostCommand.Result r = HostCommand.of(List.of("cat"), LONG).stdin(in).stdoutTo(out).run();
        assertThat(r.stdout()).isEmpty();
        assertThat(Files.readAllBytes(out)).isEqualTo(data);
        assertThat(HostCommand.of(List.of("pwd"), LONG).directory(tmp).run().stdout().strip())
                .isEqualTo(tmp.toRealPath().toString());
    }

    @Test
    void timeoutKillsTheToolPromptly() throws Exception {
        String marker = "31.25";
        long t0 = System.nanoTime();
        CompletableFuture<Long> pid = findPid(marker);
        assertThatThrownBy(() -> HostCommand.of(List.of("sleep", marker), Duration.ofMillis(300)).run())
                .isInstanceOf(IOException.class).hasMessage("sleep timed out after 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertGone(pid.get(5, TimeUnit.SECONDS));
    }

    @Test
    void timeoutKillsGrandchildrenToo() throws Exception {
        String marker = "32.25";
        CompletableFuture<Long> sleepPid = findPid(marker);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> HostCommand.of(List.of("sh", "-c", "sleep " + marker + " & wait"), Duration.ofMillis(500)).run())
                .hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertGone(sleepPid.get(5, TimeUnit.SECONDS));
    }

    @Test
    void interruptKillsTheToolAndPropagates() throws Exception {
        String marker = "33.25";
        CompletableFuture<Long> pid = findPid(marker);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                HostCommand.of(List.of("sh", "-c", "sleep " + marker + " & wait"), LONG).run();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        long sleeping = pid.get(5, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        caller.interrupt();
        caller.join(Duration.ofSeconds(5));
        assertThat(caller.isAlive()).as("run() returned promptly after the interrupt").isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertGone(sleeping);
    }

    @Test
    void neverHangsOnAnOrphanThatKeepsTheOutputOpen() throws Exception {
        String marker = "34.25";
        CompletableFuture<Long> pid = findPid(marker);
        long t0 = System.nanoTime();
        try {
            // sh exits at once; its background sleep still holds the write end of our stdout pipe.
            // Either the JDK hands us EOF when sh exits, or our deadline gives up on the drain:
            // what must not happen is waiting for the sleep.
            try {
                HostCommand.of(List.of("sh", "-c", "sleep " + marker + " &"), Duration.ofSeconds(2)).run();
            } catch (IOException e) {
                assertThat(e).hasMessageContaining("kept its output open");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(6));
        } finally {
            ProcessHandle.of(pid.get(5, TimeUnit.SECONDS)).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void streamsStdoutToTheCaller() throws Exception {
        byte[] data = "line\n".repeat(50_000).getBytes(StandardCharsets.UTF_8);
        Path in = Files.write(tmp.resolve("in"), data);
        try (HostCommand.Running cat = HostCommand.of(List.of("cat", in.toString()), LONG).start()) {
            byte[] head = cat.stdout().readNBytes(1000);   // the rest is drained by finish()
            assertThat(head).isEqualTo(java.util.Arrays.copyOf(data, 1000));
            assertThat(cat.finish().exitCode()).isZero();
        }
        try (HostCommand.Running ls = HostCommand.of(List.of("ls", MISSING), LONG).start()) {
            assertThat(ls.stdout().readAllBytes()).isEmpty();
            assertThatThrownBy(ls::finish).hasMessageStartingWith("ls failed (exit 2): ").hasMessageContaining(MISSING);
        }
    }

    @Test
    void streamedToolIsKilledByTheWatchdogAndOnClose() throws Exception {
        String marker = "35.25";
        CompletableFuture<Long> pid = findPid(marker);
        long t0 = System.nanoTime();
        try (HostCommand.Running s = HostCommand.of(List.of("sleep", marker), Duration.ofMillis(300)).start()) {
            assertThat(s.stdout().read()).isEqualTo(-1);   // EOF once the watchdog killed it
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            assertThat(s.timedOut()).isTrue();
            assertThatThrownBy(s::finish).hasMessage("sleep timed out after 300 ms");
        }
        assertGone(pid.get(5, TimeUnit.SECONDS));

        String marker2 = "36.25";
        CompletableFuture<Long> pid2 = findPid(marker2);
        HostCommand.Running s = HostCommand.of(List.of("sh", "-c", "sleep " + marker2 + " & wait"), LONG).start();
        long sleeping = pid2.get(5, TimeUnit.SECONDS);
        s.close();
        assertGone(sleeping);
    }

    @Test
    void stderrLinesReachTheListener() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        HostCommand.of(List.of("ls", MISSING + "-x", MISSING + "-y"), LONG).okExitCodes(2).onStderrLine(seen::add).run();
        assertThat(seen).hasSize(2).allMatch(l -> l.contains(MISSING));
    }

    /**
     * The PID of the sleep whose arguments include marker (unique per test), once it shows up. All
     * processes, not our descendants: an orphaned sleep is re-parented away from us.
     */
    private static CompletableFuture<Long> findPid(String marker) {
        // Its own thread: the common pool may be busy (or absent) in the test JVM.
        return CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                Optional<ProcessHandle> h = ProcessHandle.allProcesses()
                        .filter(p -> p.info().command().map(c -> c.endsWith("sleep")).orElse(false))
                        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(marker)).orElse(false))
                        .findFirst();
                if (h.isPresent()) {
                    return h.get().pid();
                }
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            }
            throw new IllegalStateException("no process with argument " + marker + " among "
                    + ProcessHandle.current().descendants().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
        }, task -> Thread.ofPlatform().daemon().start(task));
    }

    /** Dead: no /proc entry, or a zombie waiting for its new parent to reap it. */
    private static void assertGone(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        String state = "?";
        while (System.nanoTime() < deadline) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
                if (state.equals("Z")) {
                    return;
                }
            } catch (NoSuchFileException e) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("process " + pid + " is still running (state " + state + ")");
    }

    /** An ordinary Debian user's PATH: no /usr/sbin, no /sbin (regression: "Cannot run program mkfs.ext4"). */
    private static final String USER_PATH = "/usr/local/bin:/usr/bin:/bin";

    @Test
    void sbinToolIsFoundWhenThePathLacksSbin() throws Exception {
        HostCommand.Result r = HostCommand.of(List.of("mkfs.ext4", "-V"), LONG).env("PATH", USER_PATH).run();
        assertThat(r.stderr()).contains("mke2fs");
        Path image = tmp.resolve("user.ext4");
        try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(8 << 20);
        }
        HostCommand.of(List.of("mkfs.ext4", "-q", "-F", image.toString()), LONG).env("PATH", USER_PATH).run();
        HostCommand.of(List.of("e2fsck", "-fn", image.toString()), LONG).env("PATH", USER_PATH).run();
    }

    @Test
    void whatAToolStartsFindsSbinToolsToo() throws Exception {
        String env = HostCommand.of(List.of("env"), LONG).env("PATH", USER_PATH).run().stdout();
        assertThat(env.lines().filter(l -> l.startsWith("PATH=")).toList())
                .containsExactly("PATH=" + USER_PATH + ":/usr/local/sbin:/usr/sbin:/sbin");
    }

    @Test
    void missingToolIsOneLineThatNamesItsDebianPackage() throws Exception {
        assertThatThrownBy(() -> HostTools.resolve("mkfs.ext4", List.of(tmp)))
                .isInstanceOf(MissingToolException.class)
                .hasMessage("mkfs.ext4 not found (searched " + tmp + "); install the Debian package e2fsprogs"
                        + " (apt-get install e2fsprogs)");
        assertThatThrownBy(() -> HostTools.resolve("newuidmap", List.of(tmp))).hasMessageContaining("package uidmap");
        assertThatThrownBy(() -> HostTools.resolve("qemu-system-x86_64", List.of(tmp))).hasMessageContaining("package qemu-system-x86");
        assertThatThrownBy(() -> HostCommand.of(List.of("banger-no-such-tool", "x"), LONG).env("PATH", USER_PATH).run())
                .isInstanceOf(MissingToolException.class)
                .hasMessage("banger-no-such-tool not found (searched " + USER_PATH + ":/usr/local/sbin:/usr/sbin:/sbin)");
    }

    @Test
    void aToolGivenByPathIsRunAsGiven() throws Exception {
        Path tool = HostTools.resolve("true", USER_PATH);
        assertThat(tool).isAbsolute().endsWith(Path.of("true"));
        assertThat(HostCommand.of(List.of(tool.toString()), LONG).env("PATH", "/nonexistent").run().exitCode()).isZero();
    }
}
