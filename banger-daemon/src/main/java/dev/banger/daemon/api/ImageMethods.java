package dev.banger.daemon.api;

import dev.banger.daemon.image.ImagePrune;
import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.rpc.RpcMethod;
import dev.banger.daemon.vm.VmService;
import dev.banger.core.rpc.RpcException;
import java.nio.file.Path;
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

    record BuildParams(String name, String distro, String suite) { }

    record RegisterParams(String name, String rootfs, String kernelRef) { }

    record ImportParams(String name, String source, String kernelRef) { }

    public void register(Map<String, RpcMethod> m) {
        m.put("image.build", (p, ctx) -> {
            BuildParams b = Params.decode(p, BuildParams.class);
            String distro = b.distro() == null ? "debian" : b.distro();
            if (!distro.equals("debian")) throw RpcException.invalid("unsupported distro: " + distro + " (supported: debian)");
            return images.buildDebian(b.name() == null ? "debian" : b.name(), b.suite() == null ? defaultSuite : b.suite(), ctx);
        });
        m.put("image.register", (p, ctx) -> {
            RegisterParams r = Params.decode(p, RegisterParams.class);
            return images.register(r.name(), Params.absolute(r.rootfs(), "rootfs"), r.kernelRef(), ctx);
        });
        m.put("image.import", (p, ctx) -> {
            ImportParams r = Params.decode(p, ImportParams.class);
            return images.importImage(r.name(), Params.absolute(r.source(), "source"), r.kernelRef(), ctx);
        });
        m.put("image.pull", (p, ctx) -> images.pull(Params.requireText(p, "ref"), ctx));
        m.put("image.promote", (p, ctx) -> {
            String name = Params.requireText(p, "name");
            return vms.whileStopped(Params.requireText(p, "vm"), vm -> images.promote(vm, name, ctx));
        });
        m.put("image.list", (p, ctx) -> images.list());
        m.put("image.catalog", (p, ctx) -> images.available());
        m.put("image.show", (p, ctx) -> images.show(Params.requireText(p, "image")));
        m.put("image.rm", (p, ctx) -> images.remove(Params.requireText(p, "image")));
        m.put("image.prune", (p, ctx) -> prune.prune());
    }
}
