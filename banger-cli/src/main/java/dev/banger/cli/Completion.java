package dev.banger.cli;

import dev.banger.core.api.Methods;
import dev.banger.core.api.NoParams;
import dev.banger.core.rpc.RpcClient;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Parameters;

/**
 * {@code banger completion bash|zsh|fish}: a shell completion script for the whole command tree.
 * bash (and zsh, through its bashcompinit, which picocli's script turns on itself) is picocli's
 * {@link AutoComplete} script; fish is {@link FishScript}, generated from the same model. Every
 * argument that names a VM, an image or a kernel completes from the daemon through the hidden
 * {@code banger __complete vms|images|kernels}.
 */
@Command(name = "completion", description = "Print a shell completion script (bash, zsh or fish).", mixinStandardHelpOptions = true)
final class Completion implements Callable<Integer> {
    enum Shell { bash, zsh, fish }

    /** What a name argument lists: the words {@code banger __complete} takes. */
    enum Kind {
        vms, images, kernels;

        /** The placeholder candidate picocli writes into the script, replaced by a call to the daemon. */
        String placeholder() {
            return "__banger_names_" + name() + "__";
        }

        /** The kind of name an argument takes, by its label (VM, IMAGE, KERNEL, or option {@code --image}); null for others. */
        static Kind of(ArgSpec arg) {
            String label = arg.paramLabel().replaceAll("[<>]", "").toUpperCase(Locale.ROOT);
            return switch (label) {
                case "VM" -> vms;
                case "IMAGE" -> images;
                case "KERNEL" -> kernels;
                default -> null;
            };
        }
    }

    @Parameters(paramLabel = "SHELL", description = "bash, zsh or fish")
    Shell shell;

    /**
     * Installing them: bash {@code source <(banger completion bash)} in ~/.bashrc; zsh the same with
     * {@code zsh} in ~/.zshrc; fish {@code banger completion fish > ~/.config/fish/completions/banger.fish}.
     */
    @Override
    public Integer call() {
        System.out.print(script(shell));
        System.out.flush();
        return 0;
    }

    static String script(Shell shell) {
        CommandLine tree = withNameCandidates(CommandTree.full());
        return switch (shell) {
            case bash, zsh -> bash(tree);
            case fish -> FishScript.of(tree);
        };
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\(\"__banger_names_([a-z]+)__\"\\)");

    /**
     * picocli writes each argument's candidates as a quoted list, fixed when the script is made; the
     * placeholder list of a name argument becomes a call made at each completion instead.
     */
    static String bash(CommandLine tree) {
        String generated = AutoComplete.bash("banger", tree);
        Matcher m = PLACEHOLDER.matcher(generated);
        if (!m.find()) throw new IllegalStateException("picocli's script has no name candidates to fill in");
        return m.replaceAll("(\\$(_banger_names $1))") + """

                # VM, image and kernel names from bangerd, asked through the banger being completed;
                # nothing (and no error) when no daemon runs.
                function _banger_names() {
                  "${COMP_WORDS[0]/#\\~/$HOME}" __complete "$1" 2>/dev/null
                }
                """;
    }

    /** The tree with the placeholder candidates on every argument that takes a VM, image or kernel name. */
    static CommandLine withNameCandidates(CommandLine tree) {
        CommandSpec spec = tree.getCommandSpec();
        for (PositionalParamSpec p : List.copyOf(spec.positionalParameters())) {
            Kind kind = Kind.of(p);
            if (kind == null) continue;
            spec.remove(p);
            spec.addPositional(PositionalParamSpec.builder(p).completionCandidates(List.of(kind.placeholder())).build());
        }
        for (OptionSpec o : List.copyOf(spec.options())) {
            Kind kind = Kind.of(o);
            if (kind == null) continue;
            spec.remove(o);
            spec.addOption(OptionSpec.builder(o).completionCandidates(List.of(kind.placeholder())).build());
        }
        tree.getSubcommands().values().forEach(Completion::withNameCandidates);
        return tree;
    }

    /**
     * {@code banger __complete vms|images|kernels}: the names, one a line, for the completion scripts.
     * Never starts the daemon, never waits long, never prints an error: a shell's TAB must not hang or
     * spill text into the command line, so without a daemon (or with one that does not answer in time)
     * it prints nothing and exits 0.
     */
    @Command(name = "__complete", hidden = true, description = "List VM, image or kernel names for shell completion.")
    static final class Names implements Callable<Integer> {
        static final long TIMEOUT_MS = 2_000;

        @Parameters(paramLabel = "KIND", description = "vms, images or kernels")
        Kind kind;

        @Override
        public Integer call() {
            List<String> names;
            try {
                // Not closed: closing waits for a call that hangs; a virtual thread does not keep the JVM alive.
                names = CompletableFuture.supplyAsync(this::names, Executors.newVirtualThreadPerTaskExecutor())
                        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (Exception noDaemonOrTooSlow) {
                return 0;
            }
            names.forEach(System.out::println);
            System.out.flush();
            return 0;
        }

        private List<String> names() {
            try (RpcClient daemon = DaemonClient.connect(Main.PATHS, false)) {
                return switch (kind) {
                    case vms -> daemon.call(Methods.VM_LIST, NoParams.NONE).stream().map(v -> v.name()).toList();
                    case images -> daemon.call(Methods.IMAGE_LIST, NoParams.NONE).stream().map(i -> i.name()).toList();
                    case kernels -> daemon.call(Methods.KERNEL_LIST, NoParams.NONE).stream().map(k -> k.name()).toList();
                };
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
