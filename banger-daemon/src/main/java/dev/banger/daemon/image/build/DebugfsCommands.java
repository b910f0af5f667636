package dev.banger.daemon.image.build;

import dev.banger.daemon.host.HostCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Running debugfs, which exits 0 even when one of its commands failed and says so only on stderr. */
public final class DebugfsCommands {
    private DebugfsCommands() { }

    /** Every stderr line but debugfs's version banner: each one is a command that failed. */
    public static List<String> errors(HostCommand.Result r) {
        return r.stderr().lines().filter(l -> !l.isBlank() && !l.startsWith("debugfs ")).toList();
    }

    /**
     * Runs lines as one write script ({@code debugfs -w -f}) against image; an error line or a
     * non-zero exit fails it with a message saying what it was for. An interrupt arrives as
     * InterruptedIOException with the flag set, as everywhere in this package.
     */
    public static void runScript(String purpose, List<String> lines, Path image, Path scratch) throws IOException {
        Path cmdFile = scratch.resolve("debugfs.cmds");
        Files.write(cmdFile, lines, StandardCharsets.UTF_8);
        runScriptFile(purpose, cmdFile, image);
    }

    /** As {@link #runScript} for a command file already written (one too large to hold in memory). */
    static void runScriptFile(String purpose, Path cmdFile, Path image) throws IOException {
        HostCommand.Result r = Ext4Writer.run(HostCommand.of(List.of("debugfs", "-w", "-f", cmdFile.toString(), image.toString()),
                Ext4Writer.TOOL_TIMEOUT), false);
        List<String> errors = errors(r);
        if (r.exitCode() != 0 || !errors.isEmpty()) {
            throw new IOException("debugfs could not " + purpose + " (exit " + r.exitCode() + "): "
                    + (errors.isEmpty() ? r.tail(5, " | ") : errors.getFirst()));
        }
    }

    /** Refuses a name that cannot go into a double-quoted debugfs argument (seed 004's rule for images). */
    public static void requireEncodable(String name) throws UnsafeEntryException {
        EntryNames.checkEncodable(name, name);
    }
}
