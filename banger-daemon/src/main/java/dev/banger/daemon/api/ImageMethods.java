package dev.banger.daemon.api;

import static dev.banger.daemon.api.Params.handle;
import static dev.banger.daemon.api.Params.require;

import dev.banger.core.Json;
import dev.banger.core.api.ImageAvailable;
import dev.banger.core.api.ImagePruneResult;
import dev.banger.core.api.Methods;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.image.ImagePrune;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.rpc.RpcMethod;
import dev.banger.daemon.vm.VmService;
import java.util.Map;

/** RPC surface of {@code banger image …}. */
public final class ImageMethods {
    private final ImageService images;
    private final String defaultSuite;
    private final VmService vms;
    private final ImagePrune prune;

    public ImageMethods(ImageService images, VmService vms, String defaultSuite, ImagePrune prune) {
        this.images = images;
        this.vms = vms;
        this.defaultSuite = defaultSuite;
        this.prune = prune;
    }

    public void register(Map<String, RpcMethod> m) {
        handle(m, Methods.IMAGE_BUILD, (b, ctx) -> {
            String distro = b.distro() == null ? "debian" : b.distro();
            if (!distro.equals("debian")) throw RpcException.invalid("unsupported distro: " + distro + " (supported: debian)");
            return images.buildDebian(b.name() == null ? "debian" : b.name(), b.suite() == null ? defaultSuite : b.suite(), ctx);
        });
        handle(m, Methods.IMAGE_REGISTER, (r, ctx) ->
                images.register(r.name(), Params.absolute(r.rootfs(), "rootfs"), r.kernelRef(), ctx));
        handle(m, Methods.IMAGE_IMPORT, (r, ctx) ->
                images.importImage(r.name(), Params.absolute(r.source(), "source"), r.kernelRef(), ctx));
        handle(m, Methods.IMAGE_PULL, (p, ctx) -> images.pull(require(p.ref(), "ref"), ctx));
        handle(m, Methods.IMAGE_PROMOTE, (p, ctx) -> {
            String name = require(p.name(), "name");
            return vms.whileStopped(require(p.vm(), "vm"), vm -> images.promote(vm, name, ctx));
        });
        handle(m, Methods.IMAGE_LIST, (p, ctx) -> images.list());
        handle(m, Methods.IMAGE_CATALOG, (p, ctx) -> images.available().stream().map(a -> new ImageAvailable(a.name(),
                a.kernelRef(), a.format(), a.sizeBytes(), a.description(), a.rootfsUrl(), a.pulled())).toList());
        handle(m, Methods.IMAGE_SHOW, (p, ctx) -> images.show(require(p.image(), "image")));
        handle(m, Methods.IMAGE_RM, (p, ctx) -> images.remove(require(p.image(), "image")));
        // ImagePrune reports a map of exactly these fields; the record pins their names and types
        handle(m, Methods.IMAGE_PRUNE, (p, ctx) -> Json.MAPPER.convertValue(prune.prune(), ImagePruneResult.class));
    }
}
