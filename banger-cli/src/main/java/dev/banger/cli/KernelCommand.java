package dev.banger.cli;

import dev.banger.core.api.KernelAvailable;
import dev.banger.core.api.KernelCatalogParams;
import dev.banger.core.api.KernelImportParams;
import dev.banger.core.api.KernelInfo;
import dev.banger.core.api.KernelPullParams;
import dev.banger.core.api.KernelRef;
import dev.banger.core.api.Methods;
import dev.banger.core.api.NoParams;
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

/** {@code banger kernel …} → kernel.* RPC methods. */
@Command(name = "kernel", description = "Import and manage guest kernels.", mixinStandardHelpOptions = true)
final class KernelCommand {
    static final java.util.List<Class<?>> VERBS = java.util.List.of(Import.class, Pull.class, Ls.class, Show.class, Rm.class);

    @Command(name = "import", description = "Import a kernel from a Debian linux-image package (--deb) or a staged directory (--from).",
            mixinStandardHelpOptions = true)
    static final class Import implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--deb", paramLabel = "PACKAGE_OR_FILE", description = "e.g. linux-image-cloud-amd64 or ./linux-image-….deb")
        String deb;
        @Option(names = "--from", paramLabel = "DIR", description = "a staged dir: metadata.json, or boot/vmlinux-* / vmlinuz-*, initrd, lib/modules/<ver>")
        String from;
        @Option(names = "--json", description = "Print the kernel entry as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if ((deb == null) == (from == null)) throw RpcException.invalid("give exactly one of --deb or --from");
            KernelImportParams params;
            if (deb != null) {
                // A file path is resolved here: the daemon's working directory is not ours.
                String source = deb.endsWith(".deb") || deb.contains("/") ? Path.of(deb).toAbsolutePath().toString() : deb;
                if (!source.equals(deb) && !Files.isRegularFile(Path.of(source))) throw RpcException.invalid("no such file: " + deb);
                params = new KernelImportParams(name, source, null);
            } else {
                Path dir = Path.of(from).toAbsolutePath().normalize();
                if (!Files.isDirectory(dir)) throw RpcException.invalid("no such directory: " + from);
                params = new KernelImportParams(name, null, dir.toString());
            }
            print(DaemonClient.callWithProgress(Methods.KERNEL_IMPORT, params), json);
            return 0;
        }
    }

    @Command(name = "pull", description = "Download a kernel bundle listed in a kernel catalog.", mixinStandardHelpOptions = true)
    static final class Pull implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        QuietOption quiet = new QuietOption();
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--force", description = "Replace the kernel if it is already pulled.")
        boolean force;
        @Option(names = "--catalog", paramLabel = "FILE|URL", description = "Also use this catalog (repeatable).")
        List<String> catalogs = new ArrayList<>();
        @Option(names = "--json", description = "Print the kernel entry as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            print(DaemonClient.callWithProgress(Methods.KERNEL_PULL, new KernelPullParams(name, force, absoluteCatalogs(catalogs))), json);
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List kernels (--available: what the catalogs offer).", mixinStandardHelpOptions = true)
    static final class Ls implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;
        @Option(names = "--available", description = "List catalog entries with their pulled/available state.")
        boolean available;
        @Option(names = "--catalog", paramLabel = "FILE|URL", description = "Also use this catalog (repeatable; with --available).")
        List<String> catalogs = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (!catalogs.isEmpty() && !available) throw RpcException.invalid("--catalog only applies with --available");
            List<List<String>> rows = new ArrayList<>();
            if (available) {
                List<KernelAvailable> entries = DaemonClient.call(Methods.KERNEL_CATALOG, new KernelCatalogParams(absoluteCatalogs(catalogs)));
                if (json) {
                    Output.json(System.out, entries);
                    return 0;
                }
                for (KernelAvailable k : entries) {
                    rows.add(List.of(k.name(), Output.text(k.kernelVersion()), Output.text(k.distro()), Output.text(k.arch()),
                            Sizes.human(k.sizeBytes()), k.pulled() ? "pulled" : "available", Output.text(k.description())));
                }
                Output.table(System.out, List.of("NAME", "VERSION", "DISTRO", "ARCH", "SIZE", "STATE", "DESCRIPTION"), rows);
                return 0;
            }
            List<KernelInfo> kernels = DaemonClient.call(Methods.KERNEL_LIST, NoParams.NONE);
            if (json) {
                Output.json(System.out, kernels);
                return 0;
            }
            for (KernelInfo k : kernels) {
                rows.add(List.of(k.name(), Output.text(k.kernelVersion()), Output.text(k.distro()), Output.text(k.arch()),
                        Output.text(k.source())));
            }
            Output.table(System.out, List.of("NAME", "VERSION", "DISTRO", "ARCH", "SOURCE"), rows);
            return 0;
        }
    }

    private static void print(KernelInfo k, boolean json) throws java.io.IOException {
        if (json) Output.json(System.out, k);
        else System.out.println(k.name() + " " + k.kernelVersion());
    }

    /** Catalog files are resolved here, like every path: the daemon's working directory is not ours. */
    private static List<String> absoluteCatalogs(List<String> catalogs) {
        return catalogs.stream().map(c -> c.startsWith("http://") || c.startsWith("https://")
                ? c : Path.of(c).toAbsolutePath().normalize().toString()).toList();
    }

    @Command(name = "show", description = "Show one kernel: a summary, or the full record with --json.", mixinStandardHelpOptions = true)
    static final class Show extends Verbs.Show<KernelInfo> {
        @Parameters(paramLabel = "KERNEL")
        String name;

        @Override
        KernelInfo fetch(RpcClient daemon) throws java.io.IOException {
            return daemon.call(Methods.KERNEL_SHOW, new KernelRef(name));
        }

        @Override
        List<Output.Field> summary(RpcClient daemon, KernelInfo shown) {
            return Summaries.kernel(shown);
        }
    }

    @Command(name = "rm", description = "Remove a kernel no image uses.", mixinStandardHelpOptions = true)
    static final class Rm extends Verbs.PrintsName {
        @Parameters(paramLabel = "KERNEL")
        String name;

        @Override
        String act() throws Exception {
            return DaemonClient.call(Methods.KERNEL_DELETE, new KernelRef(name)).name();
        }
    }
}
