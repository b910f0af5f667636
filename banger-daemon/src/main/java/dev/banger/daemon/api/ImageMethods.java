package dev.banger.daemon.api;

import dev.banger.daemon.image.ImageService;
import dev.banger.daemon.rpc.RpcMethod;
import java.util.Map;

/** RPC surface of {@code banger image …} and {@code banger kernel …}. */
public final class ImageMethods {
    private final ImageService images;
    private final String defaultSuite;

    public ImageMethods(ImageService images, String defaultSuite) {
        this.images = images;
        this.defaultSuite = defaultSuite;
    }

    record BuildParams(String name, String distro, String suite) { }

    public void register(Map<String, RpcMethod> m) {
        m.put("image.build", (p, ctx) -> {
            BuildParams b = Params.decode(p, BuildParams.class);
            String distro = b.distro() == null ? "debian" : b.distro();
            if (!distro.equals("debian")) throw dev.banger.core.rpc.RpcException.invalid("unsupported distro: " + distro + " (supported: debian)");
            return images.buildDebian(b.name() == null ? "debian" : b.name(), b.suite() == null ? defaultSuite : b.suite(), ctx);
        });
        m.put("image.list", (p, ctx) -> images.list());
        m.put("image.show", (p, ctx) -> images.show(Params.requireText(p, "image")));
        m.put("image.rm", (p, ctx) -> images.remove(Params.requireText(p, "image")));
        m.put("kernel.import", (p, ctx) ->
                KernelView.of(images.importKernel(Params.requireText(p, "name"), Params.requireText(p, "deb"), ctx)));
        m.put("kernel.list", (p, ctx) -> images.listKernels().stream().map(KernelView::of).toList());
        m.put("kernel.show", (p, ctx) -> KernelView.of(images.showKernel(Params.requireText(p, "name"))));
        m.put("kernel.delete", (p, ctx) -> KernelView.of(images.removeKernel(Params.requireText(p, "name"))));
    }
}
