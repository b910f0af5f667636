package dev.banger.daemon.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.kernel.CatalogEntry;
import dev.banger.daemon.kernel.KernelService;
import dev.banger.daemon.rpc.RpcMethod;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** RPC surface of {@code banger kernel …}. */
public final class KernelMethods {
    private final KernelService kernels;

    public KernelMethods(KernelService kernels) {
        this.kernels = kernels;
    }

    /** One catalog entry as {@code kernel ls --available} shows it. */
    record AvailableView(String name, String distro, String arch, String kernelVersion, long sizeBytes,
                         String description, String tarballUrl, boolean pulled) {
        static AvailableView of(KernelService.Available a) {
            CatalogEntry e = a.entry();
            return new AvailableView(e.name(), e.distro(), e.arch(), e.kernelVersion(), e.sizeBytes(), e.description(),
                    e.tarballUrl(), a.pulled());
        }
    }

    public void register(Map<String, RpcMethod> m) {
        m.put("kernel.import", (p, ctx) -> {
            String name = Params.requireText(p, "name");
            String deb = optionalText(p, "deb");
            String from = optionalText(p, "from");
            if ((deb == null) == (from == null)) throw RpcException.invalid("kernel.import needs exactly one of deb or from");
            if (deb != null && (deb.contains("/") || deb.endsWith(".deb"))) deb = Params.absolute(deb, "deb").toString();
            return KernelView.of(deb != null ? kernels.importDeb(name, deb, ctx) : kernels.importDir(name, Params.absolute(from, "from"), ctx));
        });
        m.put("kernel.pull", (p, ctx) -> KernelView.of(kernels.pull(Params.requireText(p, "name"),
                p.path("force").asBoolean(false), catalogs(p), ctx)));
        m.put("kernel.list", (p, ctx) -> kernels.list().stream().map(KernelView::of).toList());
        m.put("kernel.catalog", (p, ctx) -> kernels.available(catalogs(p)).stream().map(AvailableView::of).toList());
        m.put("kernel.show", (p, ctx) -> KernelView.of(kernels.show(Params.requireText(p, "name"))));
        m.put("kernel.delete", (p, ctx) -> KernelView.of(kernels.remove(Params.requireText(p, "name"))));
    }

    private static String optionalText(JsonNode p, String field) {
        JsonNode v = p.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual() || v.asText().isBlank()) throw RpcException.invalid("invalid params: " + field + " must be a non-empty string");
        return v.asText();
    }

    private static List<String> catalogs(JsonNode p) {
        JsonNode v = p.get("catalogs");
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) return out;
        if (!v.isArray()) throw RpcException.invalid("invalid params: catalogs must be an array of files or URLs");
        for (JsonNode c : v) {
            if (!c.isTextual() || c.asText().isBlank()) throw RpcException.invalid("invalid params: catalogs must be an array of files or URLs");
            out.add(c.asText());
        }
        return out;
    }
}
