package dev.banger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code banger kernel …} → kernel.* RPC methods. */
@Command(name = "kernel", description = "Import and manage guest kernels.", mixinStandardHelpOptions = true)
final class KernelCommand {
    static final java.util.List<Class<?>> VERBS = java.util.List.of(Import.class, Ls.class, Show.class, Rm.class);

    @Command(name = "import", description = "Import a kernel from a Debian linux-image package (name or .deb file).", mixinStandardHelpOptions = true)
    static final class Import implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--deb", required = true, paramLabel = "PACKAGE_OR_FILE", description = "e.g. linux-image-cloud-amd64 or ./linux-image-….deb")
        String deb;
        @Option(names = "--json", description = "Print the kernel entry as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            // A file path is resolved here: the daemon's working directory is not ours.
            String source = deb.endsWith(".deb") || deb.contains("/") ? Path.of(deb).toAbsolutePath().toString() : deb;
            if (!source.equals(deb) && !Files.isRegularFile(Path.of(source))) throw new IllegalArgumentException("no such file: " + deb);
            JsonNode k = DaemonClient.callWithProgress(Main.PATHS, "kernel.import", Map.of("name", name, "deb", source));
            if (json) Output.json(System.out, k);
            else System.out.println(k.path("name").asText() + " " + k.path("kernel_version").asText());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List kernels.", mixinStandardHelpOptions = true)
    static final class Ls implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode ks = DaemonClient.call(Main.PATHS, "kernel.list", Map.of());
            if (json) {
                Output.json(System.out, ks);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode k : ks) {
                rows.add(List.of(k.path("name").asText(), k.path("kernel_version").asText(), k.path("distro").asText(),
                        k.path("arch").asText(), k.path("source").asText()));
            }
            Output.table(System.out, List.of("NAME", "VERSION", "DISTRO", "ARCH", "SOURCE"), rows);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one kernel (JSON).", mixinStandardHelpOptions = true)
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--json", description = "Print JSON (the default for show).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Output.json(System.out, DaemonClient.call(Main.PATHS, "kernel.show", Map.of("name", name)));
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove a kernel no image uses.", mixinStandardHelpOptions = true)
    static final class Rm implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            System.out.println(DaemonClient.call(Main.PATHS, "kernel.delete", Map.of("name", name)).path("name").asText());
            return 0;
        }
    }
}
