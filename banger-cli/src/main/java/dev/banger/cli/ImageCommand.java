package dev.banger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.model.Sizes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code banger image …} → image.* RPC methods. */
@Command(name = "image", description = "Build and manage root filesystem images.", mixinStandardHelpOptions = true)
final class ImageCommand {
    static final java.util.List<Class<?>> VERBS = java.util.List.of(Build.class, Ls.class, Show.class, Rm.class);

    @Command(name = "build", description = "Build an image from a distribution's repositories (debian, with mmdebstrap).", mixinStandardHelpOptions = true)
    static final class Build implements Callable<Integer> {
        @Parameters(paramLabel = "DISTRO", description = "Only \"debian\" for now.")
        String distro;
        @Option(names = "--suite", description = "Debian suite (default bookworm).")
        String suite;
        @Option(names = "--name", description = "Image name (default: the distro name).")
        String name;
        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("distro", distro);
            if (suite != null) p.put("suite", suite);
            p.put("name", name == null ? distro : name);
            JsonNode image = DaemonClient.callWithProgress(Main.PATHS, "image.build", p);
            if (json) Output.json(System.out, image);
            else System.out.println(image.path("name").asText());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List images.", mixinStandardHelpOptions = true)
    static final class Ls implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode images = DaemonClient.call(Main.PATHS, "image.list", Map.of());
            if (json) {
                Output.json(System.out, images);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode i : images) {
                rows.add(List.of(i.path("name").asText(), i.path("id").asText(), i.path("kernel_ref").asText(),
                        Sizes.human(i.path("size_bytes").asLong()), i.path("source").asText()));
            }
            Output.table(System.out, List.of("NAME", "ID", "KERNEL", "SIZE", "SOURCE"), rows);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one image (JSON, including the root ext4 path).", mixinStandardHelpOptions = true)
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "IMAGE")
        String image;
        @Option(names = "--json", description = "Print JSON (the default for show).")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Output.json(System.out, DaemonClient.call(Main.PATHS, "image.show", Map.of("image", image)));
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove an image no VM uses.", mixinStandardHelpOptions = true)
    static final class Rm implements Callable<Integer> {
        @Parameters(paramLabel = "IMAGE")
        String image;

        @Override
        public Integer call() throws Exception {
            System.out.println(DaemonClient.call(Main.PATHS, "image.rm", Map.of("image", image)).path("name").asText());
            return 0;
        }
    }
}
