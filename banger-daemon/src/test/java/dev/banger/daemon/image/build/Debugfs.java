package dev.banger.daemon.image.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads an ext4 image back through debugfs, the same way a test reviewer would by hand. */
final class Debugfs {
    record Stat(String type, int mode, long uid, long gid, long size, int links, String linkTarget,
                int devMajor, int devMinor, long mtime) { }

    private static final Pattern TYPE = Pattern.compile("Type: (.+?)\\s+Mode:\\s+(\\d+)");
    private static final Pattern USER = Pattern.compile("User:\\s+(\\d+)\\s+Group:\\s+(\\d+).*Size: (\\d+)");
    private static final Pattern LINKS = Pattern.compile("Links: (\\d+)");
    private static final Pattern FAST = Pattern.compile("Fast link dest: \"(.*)\"");
    private static final Pattern DEV = Pattern.compile("Device major/minor number: (\\d+):(\\d+)");
    private static final Pattern MTIME = Pattern.compile("mtime: 0x([0-9a-f]+)");

    private Debugfs() { }

    /** Stats many paths with one debugfs run; a missing path maps to null. */
    static Map<String, Stat> statAll(Path image, List<String> paths, Path scratch) throws Exception {
        Path cmds = Files.createTempFile(scratch, "stat", ".cmds");
        List<String> lines = new ArrayList<>();
        for (String p : paths) {
            lines.add("stat \"" + p + "\"");
        }
        Files.write(cmds, lines, StandardCharsets.UTF_8);
        String out = run(List.of("debugfs", "-f", cmds.toString(), image.toString()));
        Map<String, Stat> result = new LinkedHashMap<>();
        // Each command's output follows its echoed "debugfs: stat ..." line.
        String[] blocks = out.split("(?m)^debugfs: stat ");
        for (int i = 1; i < blocks.length; i++) {
            String block = blocks[i];
            String path = block.substring(1, block.indexOf('\n') - 1);
            result.put(path, parse(block));
        }
        return result;
    }

    static Stat stat(Path image, String path, Path scratch) throws Exception {
        return statAll(image, List.of(path), scratch).get(path);
    }

    static byte[] cat(Path image, String path) throws Exception {
        Process p = new ProcessBuilder("debugfs", "-R", "cat \"" + path + "\"", image.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] data = p.getInputStream().readAllBytes();
        p.waitFor(30, TimeUnit.SECONDS);
        return data;
    }

    /**
     * A symlink's target: a fast link (under 60 bytes) keeps it in the inode, which stat prints;
     * a longer one keeps it in a data block, which {@code cat} dumps like a file's content.
     */
    static String linkTarget(Path image, String path, Stat stat) throws Exception {
        if (stat.linkTarget() != null) return stat.linkTarget();
        return new String(cat(image, path), StandardCharsets.UTF_8);
    }

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IOException("timeout: " + cmd);
            }
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    /** e2fsck -fn must find nothing to fix; returns its exit code (0 = clean). */
    static int fsck(Path image) throws Exception {
        Process p = new ProcessBuilder("e2fsck", "-fn", image.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            p.waitFor(300, TimeUnit.SECONDS);
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    private static Stat parse(String block) {
        Matcher type = TYPE.matcher(block);
        if (!type.find()) {
            return null;
        }
        Matcher user = USER.matcher(block);
        user.find();
        Matcher links = LINKS.matcher(block);
        Matcher fast = FAST.matcher(block);
        Matcher dev = DEV.matcher(block);
        Matcher mtime = MTIME.matcher(block);
        boolean isDev = dev.find();
        return new Stat(type.group(1), Integer.parseInt(type.group(2), 8),
                Long.parseLong(user.group(1)), Long.parseLong(user.group(2)), Long.parseLong(user.group(3)),
                links.find() ? Integer.parseInt(links.group(1)) : -1,
                fast.find() ? fast.group(1) : null,
                isDev ? Integer.parseInt(dev.group(1)) : -1,
                isDev ? Integer.parseInt(dev.group(2)) : -1,
                mtime.find() ? Long.parseLong(mtime.group(1), 16) : -1);
    }
}
