package dev.banger.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A fish completion script made from the picocli model (picocli generates bash only): one
 * {@code complete} line per group, verb, option and argument, each under the condition that its
 * group and verb are on the command line. Arguments whose candidates are a name placeholder
 * ({@link Completion#withNameCandidates}) complete from the daemon at TAB time.
 */
final class FishScript {
    private FishScript() { }

    static String of(CommandLine tree) {
        StringBuilder out = new StringBuilder("""
                # fish completion for banger, generated from its command tree (banger completion fish)
                # VM, image and kernel names come from bangerd through the banger being completed; nothing when none runs.
                function __banger_names
                    set -l banger (commandline -opc)[1]
                    command -q $banger; or return 0
                    command $banger __complete $argv 2>/dev/null
                end
                complete -c banger -f
                """);
        commands(out, tree, List.of());
        return out.toString();
    }

    /** Lines for one command (at {@code path} below banger) and, recursively, its subcommands. */
    private static void commands(StringBuilder out, CommandLine command, List<String> path) {
        List<CommandLine> subs = command.getSubcommands().values().stream().distinct()
                .filter(c -> !c.getCommandSpec().usageMessage().hidden()).toList();
        String here = condition(path, subs);
        for (CommandLine sub : subs) {
            line(out, here, "-a " + quote(sub.getCommandName()) + description(sub.getCommandSpec().usageMessage().description()));
        }
        CommandSpec spec = command.getCommandSpec();
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) continue;
            StringBuilder names = new StringBuilder();
            for (String name : o.names()) {
                if (name.startsWith("--")) names.append(" -l ").append(name.substring(2));
                else if (name.length() == 2) names.append(" -s ").append(name.substring(1));
            }
            // -r: takes a value (files allowed); -x: takes one of the candidates only
            String candidates = candidates(o);
            String args = o.arity().max() <= 0 ? "" : o.type() == java.nio.file.Path.class ? " -r -F"
                    : candidates.isEmpty() ? " -r" : " -x" + candidates;
            line(out, here, names.substring(1) + args + description(o.description()));
        }
        for (var p : spec.positionalParameters()) {
            String candidates = candidates(p);
            if (!candidates.isEmpty()) line(out, here, candidates.substring(1));
            else if (p.type() == java.nio.file.Path.class) line(out, here, "-F");
        }
        for (CommandLine sub : subs) {
            List<String> subPath = new ArrayList<>(path);
            subPath.add(sub.getCommandName());
            commands(out, sub, subPath);
        }
    }

    /** On this command's own words: every word of the path seen, and none of its subcommands yet. */
    private static String condition(List<String> path, List<CommandLine> subs) {
        List<String> parts = new ArrayList<>();
        if (path.isEmpty()) parts.add("__fish_use_subcommand");
        for (String word : path) parts.add("__fish_seen_subcommand_from " + word);
        if (!path.isEmpty() && !subs.isEmpty()) {
            parts.add("not __fish_seen_subcommand_from " + String.join(" ", subs.stream().map(CommandLine::getCommandName).toList()));
        }
        return String.join("; and ", parts);
    }

    private static String candidates(ArgSpec arg) {
        if (arg.completionCandidates() == null) return "";
        List<String> words = new ArrayList<>();
        arg.completionCandidates().forEach(words::add);
        if (words.size() == 1 && words.getFirst().startsWith("__banger_names_")) {
            String kind = words.getFirst().substring("__banger_names_".length(), words.getFirst().length() - 2);
            return " -a " + quote("(__banger_names " + kind + ")");
        }
        return words.isEmpty() ? "" : " -a " + quote(String.join(" ", words));
    }

    private static void line(StringBuilder out, String condition, String rest) {
        out.append("complete -c banger -n ").append(quote(condition)).append(' ').append(rest).append('\n');
    }

    private static String description(String[] lines) {
        if (lines == null || lines.length == 0) return "";
        String first = lines[0].replaceAll("%n", " ").strip();
        return first.isEmpty() ? "" : " -d " + quote(first);
    }

    /** A fish single-quoted word: only backslash and single quote are special inside. */
    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
