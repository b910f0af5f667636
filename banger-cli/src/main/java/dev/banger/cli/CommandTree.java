package dev.banger.cli;

import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Builds the picocli tree along the path the arguments name (banger → vm → ls) instead of
 * introspecting all thirty commands on every run: that introspection was most of a CLI
 * call's start-up. Help and unknown words get the full tree, so usage messages stay complete.
 */
final class CommandTree {
    private static final Map<Class<?>, List<Class<?>>> GROUPS = orderedGroups();
    /** Verbs of banger itself, outside any group. */
    private static final List<Class<?>> TOP_VERBS = List.of(DoctorCommand.class, SshConfigCommand.class, Completion.class,
            Completion.Names.class);

    private CommandTree() { }

    private static Map<Class<?>, List<Class<?>>> orderedGroups() {
        Map<Class<?>, List<Class<?>>> m = new java.util.LinkedHashMap<>();
        m.put(VmCommand.class, VmCommand.VERBS);
        m.put(ImageCommand.class, ImageCommand.VERBS);
        m.put(KernelCommand.class, KernelCommand.VERBS);
        m.put(DaemonCommand.class, DaemonCommand.VERBS);
        m.put(SystemCommand.class, SystemCommand.VERBS);
        return m;
    }

    static CommandLine forArgs(String[] args) {
        CommandLine root = new CommandLine(new Main());
        String groupWord = args.length > 0 ? args[0] : null;
        String verbWord = args.length > 1 ? args[1] : null;
        for (Class<?> verb : TOP_VERBS) {
            if (answersTo(verb, groupWord)) return root.addSubcommand(instantiate(verb));
        }
        boolean knownGroup = GROUPS.keySet().stream().anyMatch(g -> answersTo(g, groupWord));
        for (Map.Entry<Class<?>, List<Class<?>>> group : GROUPS.entrySet()) {
            if (knownGroup && !answersTo(group.getKey(), groupWord)) continue;
            CommandLine groupLine = new CommandLine(instantiate(group.getKey()));
            boolean knownVerb = knownGroup && group.getValue().stream().anyMatch(v -> answersTo(v, verbWord));
            for (Class<?> verb : group.getValue()) {
                if (knownVerb && !answersTo(verb, verbWord)) continue;
                groupLine.addSubcommand(instantiate(verb));
            }
            root.addSubcommand(groupLine);
        }
        if (!knownGroup) TOP_VERBS.forEach(verb -> root.addSubcommand(instantiate(verb)));
        return root;
    }

    /** The whole tree, whatever the arguments: what completion scripts are generated from. */
    static CommandLine full() {
        return forArgs(new String[0]);
    }

    private static boolean answersTo(Class<?> command, String word) {
        if (word == null) return false;
        Command c = command.getAnnotation(Command.class);
        return c.name().equals(word) || List.of(c.aliases()).contains(word);
    }

    private static Object instantiate(Class<?> type) {
        try {
            var ctor = type.getDeclaredConstructor();
            ctor.setAccessible(true);
            return ctor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create command " + type.getName(), e);
        }
    }
}
