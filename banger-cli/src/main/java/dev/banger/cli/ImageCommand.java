package dev.banger.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.model.Sizes;
import dev.banger.core.rpc.RpcException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    static final java.util.List<Class<?>> VERBS = java.util.List.of(Build.class, Pull.class, Register.class, Import.class, Promote.class, Ls.class, Show.class, Rm.class, Prune.class);

    @Command(name = "prune", description = "Empty the OCI blob cache and remove what crashed builds and pulls left behind.",
            mixinStandardHelpOptions = true)
    static final class Prune implements Callable<Integer> {
        @Option(names = "--json", description = "Print what was freed as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode r = DaemonClient.call(Main.PATHS, "image.prune", Map.of());
            if (json) {
                System.out.println(r.toPrettyString());
                return 0;
            }
            for (JsonNode p : r.path("leftovers_removed")) System.out.println("removed " + p.asText());
            System.out.println("freed " + Sizes.human(r.path("bytes_freed").asLong()) + ": " + r.path("blobs_removed").asInt()
                    + " cached blobs, " + r.path("leftovers_removed").size() + " leftovers");
            return 0;
        }
    }

    @Command(name = "promote", description = "Make a stopped VM's current root filesystem the base of a new image.",
            mixinStandardHelpOptions = true)
    static final class Promote implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;
        @Parameters(index = "1", paramLabel = "NAME")
        String name;
        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            print(DaemonClient.callWithProgress(Main.PATHS, "image.promote", Map.of("vm", vm, "name", name)), json);
            return 0;
        }
    }

    @Command(name = "pull", description = "Pull a Linux/amd64 OCI image from a registry (e.g. registry.example/team/dev:1.4, alpine).",
            mixinStandardHelpOptions = true)
    static final class Pull implements Callable<Integer> {
        @Parameters(paramLabel = "REF")
        String ref;
        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            print(DaemonClient.callWithProgress(Main.PATHS, "image.pull", Map.of("ref", ref)), json);
            return 0;
        }
    }

    /** What register and import share: the kernel the image boots with, JSON output, and the call. */
    static final class NewImageOptions {
        @Option(names = "--kernel-ref", paramLabel = "KERNEL", description = "kernel to boot it with (default: the configured default kernel)")
        String kernelRef;
        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;

        int create(String method, String name, String pathField, Path path) throws Exception {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", name);
            p.put(pathField, path.toString());
            if (kernelRef != null) p.put("kernel_ref", kernelRef);
            print(DaemonClient.callWithProgress(Main.PATHS, method, p), json);
            return 0;
        }
    }

    @Command(name = "register", description = "Register an existing ext4 root filesystem file as an image (the file is copied).",
            mixinStandardHelpOptions = true)
    static final class Register implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--rootfs", required = true, paramLabel = "FILE", description = "an ext4 image file")
        Path rootfs;
        @picocli.CommandLine.Mixin
        NewImageOptions options = new NewImageOptions();

        @Override
        public Integer call() throws Exception {
            Path file = rootfs.toAbsolutePath().normalize();
            if (!Files.isRegularFile(file)) throw RpcException.invalid("no such file: " + rootfs);
            return options.create("image.register", name, "rootfs", file);
        }
    }

    @Command(name = "import", description = "Import a root filesystem from an ext4 file, a directory, or a tarball (.tar, .tar.gz, .tar.zst).",
            mixinStandardHelpOptions = true)
    static final class Import implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", index = "0")
        String name;
        @Parameters(paramLabel = "SOURCE", index = "1")
        Path source;
        @picocli.CommandLine.Mixin
        NewImageOptions options = new NewImageOptions();

        @Override
        public Integer call() throws Exception {
            Path src = source.toAbsolutePath().normalize();
            if (!Files.exists(src)) throw RpcException.invalid("no such file or directory: " + source);
            return options.create("image.import", name, "source", src);
        }
    }

    private static void print(JsonNode image, boolean json) throws java.io.IOException {
        if (json) Output.json(System.out, image);
        else System.out.println(image.path("name").asText());
    }

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
        @Option(names = "--available", description = "List the configured image catalogs' bundles with their pulled/available state.")
        boolean available;

        @Override
        public Integer call() throws Exception {
            JsonNode images = DaemonClient.call(Main.PATHS, available ? "image.catalog" : "image.list", Map.of());
            if (json) {
                Output.json(System.out, images);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            if (available) {
                for (JsonNode i : images) {
                    rows.add(List.of(i.path("name").asText(), i.path("kernel_ref").asText(), i.path("format").asText(),
                            Sizes.human(i.path("size_bytes").asLong()), i.path("pulled").asBoolean() ? "pulled" : "available",
                            i.path("description").asText()));
                }
                Output.table(System.out, List.of("NAME", "KERNEL", "FORMAT", "SIZE", "STATE", "DESCRIPTION"), rows);
                return 0;
            }
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
