package dev.banger.daemon.image.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes OCI image layouts (the directory format skopeo and umoci read) from layer tars a test
 * builds, so registry and flattening tests control every byte: whiteouts, device nodes, owners,
 * compression per layer, and indexes with several platforms.
 *
 * <p>Push one into a registry with {@code skopeo copy --all oci:LAYOUT:TAG docker://HOST/REPO:TAG};
 * unpack a single-platform one for reference with {@code umoci unpack --image LAYOUT:TAG BUNDLE}.
 * umoci 0.4.7 (Debian bookworm) cannot read zstd layers: for a reference unpack of a zstd image,
 * write the same layer tars again with {@link Compression#GZIP} (see {@link #recompressed}).
 */
public final class OciLayoutFixture {
    public static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    public static final String INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
    public static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Compression {
        NONE("application/vnd.oci.image.layer.v1.tar"),
        GZIP("application/vnd.oci.image.layer.v1.tar+gzip"),
        ZSTD("application/vnd.oci.image.layer.v1.tar+zstd");

        public final String mediaType;

        Compression(String mediaType) {
            this.mediaType = mediaType;
        }
    }

    /** One layer: an uncompressed tar and how to store it. */
    public record Layer(byte[] tar, Compression compression) { }

    /** The runtime config recorded in the image (null fields are left out). */
    public record Config(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user) {
        public static Config none() {
            return new Config(null, null, null, null, null);
        }
    }

    /**
     * @param manifestDigest digest of the linux/amd64 manifest
     * @param refDigest      digest the tag points at: the manifest, or the index for multi-platform images
     * @param layerDigests   digests of the compressed layer blobs, bottom first
     */
    public record Written(Path layout, String tag, String manifestDigest, String refDigest, List<String> layerDigests) {
        public String ref() {
            return layout + ":" + tag;
        }
    }

    private OciLayoutFixture() { }

    /** A single-platform (linux/amd64) image under {@code tag}. */
    public static Written write(Path layout, String tag, List<Layer> layers, Config config) throws IOException {
        return write(layout, tag, layers, config, false);
    }

    /**
     * With {@code multiPlatform}, the tag points at an image index listing a linux/arm64 manifest
     * first (whose single layer holds {@code /ARM64}) and then the linux/amd64 one, so a client that
     * takes the first entry instead of matching the platform pulls the wrong root.
     */
    public static Written write(Path layout, String tag, List<Layer> layers, Config config, boolean multiPlatform)
            throws IOException {
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Manifest amd64 = manifest(layout, layers, config, "amd64");
        Descriptor ref = amd64.descriptor("amd64");
        if (multiPlatform) {
            byte[] armTar = new dev.banger.daemon.image.build.TarBuilder().file("ARM64", 0644, 0, 0, "arm64\n").bytes();
            Manifest arm64 = manifest(layout, List.of(new Layer(armTar, Compression.GZIP)), Config.none(), "arm64");
            ObjectNode index = JSON.createObjectNode();
            index.put("schemaVersion", 2);
            index.put("mediaType", INDEX_TYPE);
            ArrayNode ms = index.putArray("manifests");
            ms.add(arm64.descriptor("arm64").json());
            ms.add(amd64.descriptor("amd64").json());
            ref = blob(layout, INDEX_TYPE, JSON.writeValueAsBytes(index));
        }
        writeIndex(layout, tag, ref);
        return new Written(layout, tag, amd64.digest, ref.digest, amd64.layerDigests);
    }

    /** The same layers with every compressed one stored as gzip instead, for tools without zstd. */
    public static List<Layer> recompressed(List<Layer> layers) {
        return layers.stream().map(l -> l.compression() == Compression.ZSTD ? new Layer(l.tar(), Compression.GZIP) : l).toList();
    }

    private record Descriptor(String mediaType, String digest, long size, String arch) {
        ObjectNode json() {
            ObjectNode d = JSON.createObjectNode();
            d.put("mediaType", mediaType);
            d.put("digest", digest);
            d.put("size", size);
            if (arch != null) {
                ObjectNode p = d.putObject("platform");
                p.put("architecture", arch);
                p.put("os", "linux");
            }
            return d;
        }
    }

    private record Manifest(String digest, long size, List<String> layerDigests) {
        Descriptor descriptor(String arch) {
            return new Descriptor(MANIFEST_TYPE, digest, size, arch);
        }
    }

    private static Manifest manifest(Path layout, List<Layer> layers, Config config, String arch) throws IOException {
        List<Descriptor> layerDescs = new ArrayList<>();
        ArrayNode diffIds = JSON.createArrayNode();
        for (Layer l : layers) {
            layerDescs.add(blob(layout, l.compression().mediaType, compress(l.tar(), l.compression())));
            diffIds.add(digest(l.tar()));
        }
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("architecture", arch);
        cfg.put("os", "linux");
        ObjectNode c = cfg.putObject("config");
        putList(c, "Entrypoint", config.entrypoint());
        putList(c, "Cmd", config.cmd());
        putList(c, "Env", config.env());
        if (config.workingDir() != null) c.put("WorkingDir", config.workingDir());
        if (config.user() != null) c.put("User", config.user());
        ObjectNode rootfs = cfg.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.set("diff_ids", diffIds);
        Descriptor configDesc = blob(layout, CONFIG_TYPE, JSON.writeValueAsBytes(cfg));

        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MANIFEST_TYPE);
        m.set("config", configDesc.json());
        ArrayNode ls = m.putArray("layers");
        layerDescs.forEach(d -> ls.add(d.json()));
        Descriptor md = blob(layout, MANIFEST_TYPE, JSON.writeValueAsBytes(m));
        return new Manifest(md.digest, md.size, layerDescs.stream().map(Descriptor::digest).toList());
    }

    private static void putList(ObjectNode n, String field, List<String> values) {
        if (values == null) return;
        ArrayNode a = n.putArray(field);
        values.forEach(a::add);
    }

    private static void writeIndex(Path layout, String tag, Descriptor ref) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", INDEX_TYPE);
        ObjectNode d = new Descriptor(ref.mediaType, ref.digest, ref.size, null).json();
        d.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        index.putArray("manifests").add(d);
        Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(index));
    }

    private static Descriptor blob(Path layout, String mediaType, byte[] content) throws IOException {
        String digest = digest(content);
        Files.write(layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())), content);
        return new Descriptor(mediaType, digest, content.length, null);
    }

    public static byte[] compress(byte[] tar, Compression c) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = switch (c) {
            case NONE -> out;
            case GZIP -> new GZIPOutputStream(out);
            case ZSTD -> new ZstdOutputStream(out);
        }) {
            z.write(tar);
        }
        return out.toByteArray();
    }

    public static String digest(byte[] content) {
        return "sha256:" + dev.banger.daemon.fs.Sha256.of(content);
    }

}
