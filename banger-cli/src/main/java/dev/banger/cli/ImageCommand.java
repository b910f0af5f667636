package dev.banger.cli;

import dev.banger.core.api.ImageAvailable;
import dev.banger.core.api.ImageBuildParams;
import dev.banger.core.api.ImageImportParams;
import dev.banger.core.api.ImagePromoteParams;
import dev.banger.core.api.ImagePruneResult;
import dev.banger.core.api.ImagePullParams;
import dev.banger.core.api.ImageRef;
import dev.banger.core.api.ImageRegisterParams;
import dev.banger.core.api.Methods;
import dev.banger.core.api.NoParams;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.Sizes;
import dev.banger.core.rpc.RpcClient;
import dev.banger.core.rpc.RpcException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
            ImagePruneResult r = DaemonClient.call(Methods.IMAGE_PRUNE, NoParams.NONE);
            if (json) {
                Output.json(System.out, r);
                return 0;
            }
            for (String p : r.leftoversRemoved()) System.out.println("removed " + p);
            System.out.println("freed " + Sizes.human(r.bytesFreed()) + ": " + r.blobsRemoved()
                    + " cached blobs, " + r.leftoversRemoved().size() + " leftovers");
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove an image no VM uses.", mixinStandardHelpOptions = true)
    static final class Rm extends Verbs.PrintsName {
        @Parameters(paramLabel = "IMAGE")
        String image;

        @Override
        String act() throws Exception {
            return DaemonClient.call(Methods.IMAGE_RM, new ImageRef(image)).name();
        }
    }

    @Command(name = "promote", description = "Make a stopped VM's current root filesystem the base of a new image.",
            mixinStandardHelpOptions = true)
    static final class Promote implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Parameters(index = "0", paramLabel = "VM")
        String vm;
        @Parameters(index = "1", paramLabel = "NAME")
        String name;
        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            print(DaemonClient.callWithProgress(Methods.IMAGE_PROMOTE, new ImagePromoteParams(vm, name)), json);
            return 0;
        }
    }

    @Command(name = "pull", description = "Pull a Linux/amd64 OCI image from a registry (e.g. registry.example/team/dev:1.4, alpine).",
            mixinStandardHelpOptions = true)
    static final class Pull implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Parameters(paramLabel = "REF")
        String ref;
        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            print(DaemonClient.callWithProgress(Methods.IMAGE_PULL, new ImagePullParams(ref)), json);
            return 0;
        }
    }

    /** What register and import share: the kernel the image boots with and JSON output. */
    static final class NewImageOptions {
        @Option(names = "--kernel-ref", paramLabel = "KERNEL", description = "kernel to boot it with (default: the configured default kernel)")
        String kernelRef;
        @Option(names = "--json", description = "Print the image as JSON.")
        boolean json;
    }

    @Command(name = "register", description = "Register an existing ext4 root filesystem file as an image (the file is copied).",
            mixinStandardHelpOptions = true)
    static final class Register implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
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
            print(DaemonClient.callWithProgress(Methods.IMAGE_REGISTER,
                    new ImageRegisterParams(name, file.toString(), options.kernelRef)), options.json);
            return 0;
        }
    }

    @Command(name = "import", description = "Import a root filesystem from an ext4 file, a directory, or a tarball (.tar, .tar.gz, .tar.zst).",
            mixinStandardHelpOptions = true)
    static final class Import implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
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
            print(DaemonClient.callWithProgress(Methods.IMAGE_IMPORT,
                    new ImageImportParams(name, src.toString(), options.kernelRef)), options.json);
            return 0;
        }
    }

    private static void print(ImageRecord image, boolean json) throws java.io.IOException {
        if (json) Output.json(System.out, image);
        else System.out.println(image.name());
    }

    @Command(name = "build", description = "Build an image from a distribution's repositories (debian, with mmdebstrap).", mixinStandardHelpOptions = true)
    static final class Build implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
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
            print(DaemonClient.callWithProgress(Methods.IMAGE_BUILD, new ImageBuildParams(distro, suite, name == null ? distro : name)), json);
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
            List<List<String>> rows = new ArrayList<>();
            if (available) {
                List<ImageAvailable> bundles = DaemonClient.call(Methods.IMAGE_CATALOG, NoParams.NONE);
                if (json) {
                    Output.json(System.out, bundles);
                    return 0;
                }
                for (ImageAvailable i : bundles) {
                    rows.add(List.of(i.name(), Output.text(i.kernelRef()), Output.text(i.format()), Sizes.human(i.sizeBytes()),
                            i.pulled() ? "pulled" : "available", Output.text(i.description())));
                }
                Output.table(System.out, List.of("NAME", "KERNEL", "FORMAT", "SIZE", "STATE", "DESCRIPTION"), rows);
                return 0;
            }
            List<ImageRecord> images = DaemonClient.call(Methods.IMAGE_LIST, NoParams.NONE);
            if (json) {
                Output.json(System.out, images);
                return 0;
            }
            for (ImageRecord i : images) {
                rows.add(List.of(i.name(), i.id(), Output.text(i.kernelRef()), Sizes.human(i.sizeBytes()), Output.text(i.source())));
            }
            Output.table(System.out, List.of("NAME", "ID", "KERNEL", "SIZE", "SOURCE"), rows);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one image: a summary, or the full record with --json.", mixinStandardHelpOptions = true)
    static final class Show extends Verbs.Show<ImageRecord> {
        @Parameters(paramLabel = "IMAGE")
        String image;

        @Override
        ImageRecord fetch(RpcClient daemon) throws java.io.IOException {
            return daemon.call(Methods.IMAGE_SHOW, new ImageRef(image));
        }

        @Override
        List<Output.Field> summary(RpcClient daemon, ImageRecord shown) {
            return Summaries.image(shown);
        }
    }
}
