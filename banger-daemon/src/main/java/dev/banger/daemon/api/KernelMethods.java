package dev.banger.daemon.api;

import static dev.banger.daemon.api.Params.optional;
import static dev.banger.daemon.api.Params.handle;
import static dev.banger.daemon.api.Params.require;

import dev.banger.core.api.KernelAvailable;
import dev.banger.core.api.KernelInfo;
import dev.banger.core.api.Methods;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.kernel.CatalogEntry;
import dev.banger.daemon.kernel.KernelEntry;
import dev.banger.daemon.kernel.KernelService;
import dev.banger.daemon.rpc.RpcMethod;
import java.util.List;
import java.util.Map;

/** RPC surface of {@code banger kernel …}. */
public final class KernelMethods {
    private final KernelService kernels;

    public KernelMethods(KernelService kernels) {
        this.kernels = kernels;
    }

    /** Wire shape of a kernel entry: the manifest fields plus where its files are. */
    static KernelInfo info(KernelEntry e) {
        return new KernelInfo(e.name(), e.distro(), e.arch(), e.kernelVersion(), e.sha256(), e.source(), e.importedAt(),
                e.vmlinux().toString(), e.initrd().toString(), e.modulesDir().toString());
    }

    /** One catalog entry as {@code kernel ls --available} shows it. */
    static KernelAvailable available(KernelService.Available a) {
        CatalogEntry e = a.entry();
        return new KernelAvailable(e.name(), e.distro(), e.arch(), e.kernelVersion(), e.sizeBytes(), e.description(),
                e.tarballUrl(), a.pulled());
    }

    public void register(Map<String, RpcMethod> m) {
        handle(m, Methods.KERNEL_IMPORT, (p, ctx) -> {
            String name = require(p.name(), "name");
            String deb = optional(p.deb(), "deb");
            String from = optional(p.from(), "from");
            if ((deb == null) == (from == null)) throw RpcException.invalid("kernel.import needs exactly one of deb or from");
            if (deb != null && (deb.contains("/") || deb.endsWith(".deb"))) deb = Params.absolute(deb, "deb").toString();
            return info(deb != null ? kernels.importDeb(name, deb, ctx) : kernels.importDir(name, Params.absolute(from, "from"), ctx));
        });
        handle(m, Methods.KERNEL_PULL, (p, ctx) -> info(kernels.pull(require(p.name(), "name"), p.force(), catalogs(p.catalogs()), ctx)));
        handle(m, Methods.KERNEL_LIST, (p, ctx) -> kernels.list().stream().map(KernelMethods::info).toList());
        handle(m, Methods.KERNEL_CATALOG, (p, ctx) ->
                kernels.available(catalogs(p.catalogs())).stream().map(KernelMethods::available).toList());
        handle(m, Methods.KERNEL_SHOW, (p, ctx) -> info(kernels.show(require(p.name(), "name"))));
        handle(m, Methods.KERNEL_DELETE, (p, ctx) -> info(kernels.remove(require(p.name(), "name"))));
    }

    private static List<String> catalogs(List<String> catalogs) {
        if (catalogs == null) return List.of();
        for (String c : catalogs) {
            if (c == null || c.isBlank()) throw RpcException.invalid("invalid params: catalogs must be an array of files or URLs");
        }
        return catalogs;
    }
}
