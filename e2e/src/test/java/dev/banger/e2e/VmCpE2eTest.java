package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12: {@code banger vm cp} both ways over the agent, against a real guest: content (sha256 on both
 * sides), modes and mtimes, a tree with symlinks, {@code -} both ways, missing paths (exit 4) and a VM that
 * is not running (exit 5). The guest's own coreutils check what landed there.
 */
class VmCpE2eTest extends BootingE2eTest {
    private static final Instant MTIME = Instant.parse("2021-03-04T05:06:07Z");
    private static Path work;

    @BeforeAll
    static void oneRunningVm() throws Exception {
        Banger.ok("vm", "create", "--name", "cp");
        work = Files.createTempDirectory("banger-cp-e2e");
    }

    @AfterAll
    static void removeWork() throws IOException {
        if (work != null) Banger.deleteTree(work);
    }

    @Test
    void aFileGoesInAndComesBackWithItsContentModeAndMtime() throws Exception {
        Path src = work.resolve("blob.bin");
        // past the agent's 8 MiB of stdin and bangerd's 4 MiB of undelivered output: the flow control carries it
        byte[] data = new byte[24 << 20];
        new Random(12).nextBytes(data);
        Files.write(src, data);
        Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(src, FileTime.from(MTIME));

        Banger.ok("vm", "cp", src.toString(), "cp:/root/renamed.bin");   // a new name in the guest
        assertThat(guest("sha256sum", "/root/renamed.bin")).startsWith(sha256(data));
        assertThat(guest("stat", "-c", "%a %Y %U", "/root/renamed.bin").strip()).isEqualTo("640 " + MTIME.getEpochSecond() + " root");
        Banger.ok("vm", "cp", src.toString(), "cp:root");                  // into an existing directory, relative to /
        assertThat(guest("sha256sum", "/root/blob.bin")).startsWith(sha256(data));

        Path back = work.resolve("back.bin");
        Banger.ok("vm", "cp", "cp:/root/renamed.bin", back.toString());
        assertThat(sha256(Files.readAllBytes(back))).isEqualTo(sha256(data));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(back))).isEqualTo("rw-r-----");
        assertThat(Files.getLastModifiedTime(back).toInstant()).isEqualTo(MTIME);
    }

    /** On a terminal each copy is a progress stage with its bytes; with --quiet, nothing but the result. */
    @Test
    void aTerminalShowsEachCopyAsAStageWithItsBytes() throws Exception {
        Path src = work.resolve("shown.bin");
        byte[] data = new byte[6 << 20];
        new Random(13).nextBytes(data);
        Files.write(src, data);
        String in = Banger.onATerminal("", "vm", "cp", src.toString(), "cp:/root/shown.bin");
        assertThat(in).containsPattern("✓ copy_in +\\[=+\\] 6\\.0/6\\.0 MiB");
        String out = Banger.onATerminal("", "vm", "cp", "cp:/root/shown.bin", work.resolve("shown-back.bin").toString());
        assertThat(out).containsPattern("✓ copy_out +6\\.\\d MiB");
        assertThat(Banger.onATerminal("", "vm", "cp", "--quiet", src.toString(), "cp:/root/quiet.bin").strip()).isEmpty();
    }

    @Test
    void aTreeWithSymlinksNeedsRAndKeepsTheLinksAsLinks() throws Exception {
        Path tree = Files.createDirectories(work.resolve("tree/sub/deeper"));
        tree = work.resolve("tree");
        Files.writeString(tree.resolve("a.txt"), "alpha\n");
        Files.writeString(tree.resolve("sub/deeper/b.sh"), "#!/bin/sh\necho beta\n");
        Files.setPosixFilePermissions(tree.resolve("sub/deeper/b.sh"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createSymbolicLink(tree.resolve("rel"), Path.of("sub/deeper/b.sh"));
        Files.createSymbolicLink(tree.resolve("abs"), Path.of("/etc/hostname"));

        Banger.Result noR = Banger.run("vm", "cp", tree.toString(), "cp:/tmp");
        assertThat(noR.exit()).isEqualTo(2);
        assertThat(noR.stderr().strip()).contains("is a directory (use -r)").doesNotContain("\n");

        Banger.ok("vm", "cp", "-r", tree.toString(), "cp:/tmp");
        assertThat(guest("readlink", "/tmp/tree/rel").strip()).isEqualTo("sub/deeper/b.sh");
        assertThat(guest("readlink", "/tmp/tree/abs").strip()).isEqualTo("/etc/hostname");
        assertThat(guest("/tmp/tree/rel").strip()).isEqualTo("beta");
        assertThat(guest("stat", "-c", "%a", "/tmp/tree/sub/deeper/b.sh").strip()).isEqualTo("750");

        // out, into an existing directory that holds a symlink where the tree goes: replaced, not followed
        Path dest = Files.createDirectories(work.resolve("dest"));
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.createSymbolicLink(dest.resolve("tree"), outside);
        Banger.ok("vm", "cp", "-r", "cp:/tmp/tree", dest.toString());
        assertThat(outside).isEmptyDirectory();
        assertThat(Files.isSymbolicLink(dest.resolve("tree"))).isFalse();
        assertThat(Files.readString(dest.resolve("tree/a.txt"))).isEqualTo("alpha\n");
        assertThat(Files.readSymbolicLink(dest.resolve("tree/rel"))).isEqualTo(Path.of("sub/deeper/b.sh"));
        assertThat(Files.readSymbolicLink(dest.resolve("tree/abs"))).isEqualTo(Path.of("/etc/hostname"));
        assertThat(sha256(Files.readAllBytes(dest.resolve("tree/sub/deeper/b.sh"))))
                .isEqualTo(sha256("#!/bin/sh\necho beta\n".getBytes(StandardCharsets.UTF_8)));

        // out under a new name
        Banger.ok("vm", "cp", "-r", "cp:/tmp/tree", work.resolve("copy").toString());
        assertThat(Files.readString(work.resolve("copy/a.txt"))).isEqualTo("alpha\n");
        Banger.Result dirNoR = Banger.run("vm", "cp", "cp:/tmp/tree", work.resolve("nope").toString());
        assertThat(dirNoR.exit()).as(dirNoR.stderr()).isEqualTo(2);
    }

    @Test
    void dashIsATarOnStdinAndOnStdout() throws Exception {
        Path dir = Files.createDirectories(work.resolve("dash/pkg"));
        Files.writeString(dir.resolve("x.txt"), "from a tar on stdin\n");
        Path tarIn = work.resolve("in.tar");
        host(List.of("tar", "-c", "-f", tarIn.toString(), "-C", work.resolve("dash").toString(), "pkg"));

        assertThat(cli(tarIn, null, "vm", "cp", "-", "cp:/root")).isZero();
        assertThat(guest("cat", "/root/pkg/x.txt")).isEqualTo("from a tar on stdin\n");

        Path tarOut = work.resolve("out.tar");
        assertThat(cli(null, tarOut, "vm", "cp", "cp:/root/pkg/x.txt", "-")).isZero();
        Path unpacked = Files.createDirectories(work.resolve("unpacked"));
        host(List.of("tar", "-x", "-f", tarOut.toString(), "-C", unpacked.toString()));
        assertThat(Files.readString(unpacked.resolve("x.txt"))).isEqualTo("from a tar on stdin\n");
    }

    @Test
    void aMissingPathOnEitherSideIsExit4AndNamesIt() throws Exception {
        Banger.Result hostMissing = Banger.run("vm", "cp", work.resolve("no-such").toString(), "cp:/root");
        assertThat(hostMissing.exit()).isEqualTo(4);
        assertThat(hostMissing.stderr()).contains("no-such");

        Banger.Result guestMissing = Banger.run("vm", "cp", "cp:/root/no-such-file", work.toString());
        assertThat(guestMissing.exit()).isEqualTo(4);
        assertThat(guestMissing.stderr().strip()).contains("/root/no-such-file").doesNotContain("\n");

        Path f = Files.writeString(work.resolve("small.txt"), "s");
        Banger.Result guestDirMissing = Banger.run("vm", "cp", f.toString(), "cp:/no/such/dir/small.txt");
        assertThat(guestDirMissing.exit()).isEqualTo(4);
        assertThat(guestDirMissing.stderr()).contains("/no/such/dir");

        Banger.Result hostDirMissing = Banger.run("vm", "cp", "cp:/etc/hostname", work.resolve("no/such/dir/h").toString());
        assertThat(hostDirMissing.exit()).isEqualTo(4);
        assertThat(hostDirMissing.stderr()).contains("no/such/dir");
    }

    @Test
    void aVmThatIsNotRunningIsAConflict() throws Exception {
        Banger.ok("vm", "create", "--name", "cpoff", "--no-start");
        Path f = Files.writeString(work.resolve("off.txt"), "o");
        for (String[] args : List.of(new String[] {"vm", "cp", f.toString(), "cpoff:/root"},
                new String[] {"vm", "cp", "cpoff:/etc/hostname", work.toString()})) {
            Banger.Result r = Banger.run(args);
            assertThat(r.exit()).as(r.stderr()).isEqualTo(5);
            assertThat(r.stderr().strip()).contains("cpoff").contains("not running").doesNotContain("\n");
        }
    }

    private static String guest(String... argv) throws Exception {
        String[] args = new String[argv.length + 4];
        args[0] = "vm";
        args[1] = "exec";
        args[2] = "cp";
        args[3] = "--";
        System.arraycopy(argv, 0, args, 4, argv.length);
        return Banger.ok(args);
    }

    /** banger with stdin from a file and stdout to a file (binary), either may be null; its exit status. */
    private static int cli(Path stdin, Path stdout, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Banger.ROOT.resolve("bin/banger").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.from(stdin.toFile()))
                .redirectOutput(stdout == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(stdout.toFile()));
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("banger " + String.join(" ", args) + " timed out");
        }
        return p.exitValue();
    }

    private static void host(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
