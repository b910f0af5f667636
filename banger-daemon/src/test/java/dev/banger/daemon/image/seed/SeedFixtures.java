package dev.banger.daemon.image.seed;

import dev.banger.core.ProgressSink;
import dev.banger.daemon.image.build.TarToExt4;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fake image rootfs images, fake public keys, and debugfs read-back for the seed tests. */
final class SeedFixtures {
    static final String BASHRC = "# banger test bashrc\nexport PS1='seed> '\n";
    static final String APP_CONF = "colour=green\n";

    private static final SecureRandom RANDOM = new SecureRandom();

    private SeedFixtures() { }

    /** An ext4 rootfs like a real image's: /root with dotfiles (owned by root) or no /root at all. */
    static Path fakeRootfs(Path dir, boolean withRoot) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, "UTF-8")) {
            dir(tar, "etc/", 0755);
            file(tar, "etc/hostname", 0644, "image\n");
            if (withRoot) {
                dir(tar, "root/", 0700);
                file(tar, "root/.bashrc", 0644, BASHRC);
                file(tar, "root/.profile", 0644, "# profile\n");
                dir(tar, "root/.config/", 0755);
                file(tar, "root/.config/app.conf", 0600, APP_CONF);
                // Not root's: rdump (as root) and mkfs -d would carry uid 1000 into the seed.
                TarArchiveEntry odd = new TarArchiveEntry("root/.cache-of-someone-else", TarConstants.LF_NORMAL, true);
                odd.setMode(0644);
                odd.setUserId(1000);
                odd.setGroupId(1000);
                odd.setSize(0);
                tar.putArchiveEntry(odd);
                tar.closeArchiveEntry();
            }
        }
        Path scratch = Files.createDirectories(dir.resolve("rootfs-scratch"));
        Path out = dir.resolve("rootfs.ext4");
        new TarToExt4(scratch).convert(new ByteArrayInputStream(bytes.toByteArray()), out, ProgressSink.NONE);
        return out;
    }

    private static void dir(TarArchiveOutputStream tar, String name, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR, true);
        e.setMode(mode);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, int mode, String content) throws IOException {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
        e.setMode(mode);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    /** A syntactically valid ed25519 public key line with a random blob (never used to log in). */
    static String fakePublicKey(String comment) {
        byte[] blob = new byte[51];
        RANDOM.nextBytes(blob);
        return "ssh-ed25519 " + Base64.getEncoder().encodeToString(blob) + " " + comment;
    }

    record Stat(int inode, String type, int mode, long uid, long gid, long size) { }

    private static final Pattern INODE = Pattern.compile("Inode: (\\d+)\\s+Type: (\\S+)\\s+Mode:\\s+(\\d+)");
    private static final Pattern USER = Pattern.compile("User:\\s+(\\d+)\\s+Group:\\s+(\\d+).*Size: (\\d+)");

    /** debugfs stat of path inside image, or null if it does not exist. */
    static Stat stat(Path image, String path) throws Exception {
        String out = run(List.of("debugfs", "-R", "stat \"" + path + "\"", image.toString()));
        Matcher m = INODE.matcher(out);
        if (!m.find()) {
            return null;
        }
        Matcher u = USER.matcher(out);
        if (!u.find()) {
            throw new AssertionError("cannot parse debugfs stat: " + out);
        }
        return new Stat(Integer.parseInt(m.group(1)), m.group(2), Integer.parseInt(m.group(3), 8),
                Long.parseLong(u.group(1)), Long.parseLong(u.group(2)), Long.parseLong(u.group(3)));
    }

    static String cat(Path image, String path) throws Exception {
        Process p = new ProcessBuilder("debugfs", "-R", "cat \"" + path + "\"", image.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String data = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("debugfs cat timed out");
        }
        return data;
    }

    /** Names in the image's root directory ("." and ".." left out). */
    static List<String> ls(Path image, String dir) throws Exception {
        String out = run(List.of("debugfs", "-R", "ls -p \"" + dir + "\"", image.toString()));
        Map<String, Boolean> names = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            String[] f = line.split("/");
            if (f.length >= 6 && !f[5].equals(".") && !f[5].equals("..")) {
                names.put(f[5], true);
            }
        }
        return List.copyOf(names.keySet());
    }

    /** e2fsck -fn exit code plus output: 0 means clean. */
    static FsckResult fsck(Path image) throws Exception {
        Process p = new ProcessBuilder("e2fsck", "-fn", image.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("e2fsck timed out");
        }
        return new FsckResult(p.exitValue(), out);
    }

    record FsckResult(int exitCode, String output) { }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timeout: " + cmd);
        }
        return out;
    }
}
