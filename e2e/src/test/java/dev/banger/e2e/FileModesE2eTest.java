package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Other local users cannot read VM data: under umask 022 (a common default) every directory of the
 * banger home is 0700 and every file 0600 after a VM was created, stopped, started and stopped; as
 * root, a second ordinary user really cannot read banger.db or the VM's work disk.
 */
class FileModesE2eTest extends BootingE2eTest {
    /** The CLI (and the bangerd it starts on demand) run with the umask a default login shell has. */
    private static Banger.Result underUmask022(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "umask 022 && exec \"$0\" \"$@\"", Banger.ROOT.resolve("bin/banger").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        Path out = Files.createTempFile("banger-modes", ".out");
        try {
            Process p = pb.redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("banger " + String.join(" ", args) + " timed out");
            }
            Banger.Result r = new Banger.Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), "");
            assertThat(r.exit()).as("banger %s: %s", String.join(" ", args), r.stdout()).isZero();
            return r;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Every path under the home's state, runtime and config dirs that grants group or others anything. */
    private static List<String> notPrivate() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (Path top : List.of(Banger.stateDir(), Banger.runtimeDir(), Banger.home().resolve("config"))) {
            if (!Files.exists(top)) continue;
            try (Stream<Path> walk = Files.walk(top)) {
                for (Path p : walk.toList()) {
                    if (Files.isSymbolicLink(p)) continue;
                    int mode;
                    try {
                        mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                    } catch (java.nio.file.NoSuchFileException gone) {
                        continue;
                    }
                    if ((mode & 077) != 0) offenders.add(String.format("%04o %s", mode & 07777, Banger.home().relativize(p)));
                }
            }
        }
        return offenders;
    }

    @Test
    void underUmask022NothingInTheHomeIsReadableByGroupOrOthers() throws Exception {
        Banger.ok("daemon", "stop");   // the next bangerd is started by a CLI running under umask 022
        String id = underUmask022("vm", "create", "--name", "modes", "--json").json().path("id").asText();
        underUmask022("vm", "stop", "modes");
        underUmask022("vm", "start", "modes");
        underUmask22ExecAndCheckWhileRunning();
        underUmask022("vm", "stop", "modes");

        assertThat(Banger.stateDir().resolve("vms").resolve(id).resolve("work.ext4")).exists();
        assertThat(notPrivate()).as("paths other users could read").isEmpty();

        if (isRoot()) {
            aSecondUserCannotRead(List.of(Banger.stateDir().resolve("banger.db"),
                    Banger.stateDir().resolve("vms").resolve(id).resolve("work.ext4"),
                    Banger.stateDir().resolve("bangerd.log")));
        }
        Banger.ok("vm", "rm", "modes");
    }

    /** While the VM runs: its sockets, pidfile and console log (QEMU daemonizes with its own umask 027) are private too. */
    private static void underUmask22ExecAndCheckWhileRunning() throws Exception {
        underUmask022("vm", "exec", "modes", "--", "sh", "-c", "echo secret > /root/data && sync");
        assertThat(notPrivate()).as("paths other users could read while the VM runs").isEmpty();
    }

    private static boolean isRoot() throws IOException {
        return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    }

    /** Creates an ordinary user, has it try to read each file, and removes the user again whatever happens. */
    private static void aSecondUserCannotRead(List<Path> files) throws Exception {
        String user = "banger-e2e-peer";
        run(List.of("userdel", "-r", user));   // a leftover of an aborted run
        assertThat(run(List.of("useradd", "-m", user)).exit()).isZero();
        try {
            // The test only means something if the user can reach the home's parent at all.
            assertThat(run(List.of("runuser", "-u", user, "--", "test", "-x", Banger.home().getParent().toString())).exit())
                    .as("%s can traverse %s", user, Banger.home().getParent()).isZero();
            for (Path f : files) {
                assertThat(f).exists();
                Banger.Result r = run(List.of("runuser", "-u", user, "--", "cat", f.toString()));
                assertThat(r.exit()).as("%s read %s", user, f).isNotZero();
                assertThat(r.stdout()).contains("Permission denied");
            }
        } finally {
            assertThat(run(List.of("userdel", "-r", user)).exit()).isZero();
        }
    }

    private static Banger.Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Banger.Result(p.exitValue(), out, "");
    }
}
