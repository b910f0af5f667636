package dev.banger.daemon.image;

import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.image.build.DebianRootfsBuilder;
import dev.banger.daemon.image.build.LayersToExt4;
import dev.banger.daemon.image.build.TarToExt4;
import dev.banger.daemon.image.oci.BlobCache;
import dev.banger.daemon.image.oci.DockerCredentials;
import dev.banger.daemon.image.oci.RegistryClient;
import dev.banger.daemon.kernel.DebKernelImporter;
import dev.banger.daemon.kernel.KernelCatalog;
import dev.banger.daemon.kernel.KernelDirImporter;
import dev.banger.daemon.kernel.KernelPuller;
import dev.banger.daemon.kernel.KernelService;
import dev.banger.daemon.store.Store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import dev.banger.daemon.image.catalog.ImageBundlePuller;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An {@link ImageService} wired the way {@code Bangerd} wires it — real SQLite {@link Store},
 * real {@link RegistryClient} over a {@link BlobCache}, real {@link LayersToExt4} — under a
 * private temp dir that {@link #close()} deletes. Nothing is downloaded for the kernel: a pull
 * only checks that the default kernel's name is known.
 */
final class PullHarness implements AutoCloseable {
    final Path root;
    final Path imagesDir;
    final Path cacheDir;
    final Path blobsDir;
    final Store store;
    final ImageService images;

    private PullHarness(Path root, DockerCredentials creds, String configToml) throws IOException {
        this.root = root;
        this.imagesDir = Files.createDirectories(root.resolve("images"));
        this.cacheDir = Files.createDirectories(root.resolve("cache"));
        this.blobsDir = cacheDir.resolve("blobs");
        Path kernelsDir = Files.createDirectories(root.resolve("kernels"));
        Path configFile = root.resolve("config.toml");
        if (configToml != null) Files.writeString(configFile, configToml);
        DaemonConfig config = DaemonConfig.load(configFile, Map.of());
        this.store = new Store(root.resolve("state.db"));
        HttpClient http = dev.banger.daemon.fetch.HttpClients.standard();
        KernelCatalog catalog = new KernelCatalog(kernelsDir);
        KernelService kernels = new KernelService(catalog, new DebKernelImporter(catalog, kernelsDir, config.busybox()),
                new KernelDirImporter(catalog, config.busybox()), new KernelPuller(catalog, http), List.of(), http,
                new KernelService.DefaultKernel(config.defaultKernel(), config.kernelPackage()),
                name -> store.listImages().stream().filter(i -> name.equals(i.kernelRef())).map(i -> i.name()).toList());
        TarToExt4 tarToExt4 = new TarToExt4(cacheDir);
        this.images = new ImageService(imagesDir, config, store, kernels, new DebianRootfsBuilder(tarToExt4, cacheDir), tarToExt4,
                new RegistryClient(http, new BlobCache(blobsDir), creds, Set.of()), new LayersToExt4(cacheDir),
                new ImageBundlePuller(http, tarToExt4), http);
    }

    /** A daemon without registry credentials. */
    static PullHarness start() throws IOException {
        return start(DockerCredentials.empty());
    }

    static PullHarness start(DockerCredentials creds) throws IOException {
        return start(creds, null);
    }

    /** configToml: the daemon's config.toml (e.g. image_catalogs), or null for defaults. */
    static PullHarness start(DockerCredentials creds, String configToml) throws IOException {
        Path root = Files.createTempDirectory("banger-pull-test-");
        try {
            return new PullHarness(root, creds, configToml);
        } catch (IOException | RuntimeException e) {
            deleteTree(root);
            throw e;
        }
    }

    /** Credentials for {@code host} read back through a real docker {@code config.json} in {@code dir}. */
    static DockerCredentials credentialsFor(Path dir, String host, String user, String password) throws IOException {
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Path config = dir.resolve("docker-config.json");
        Files.writeString(config, "{\"auths\": {\"" + host + "\": {\"auth\": \"" + auth + "\"}}}");
        return DockerCredentials.load(config);
    }

    /** Everything under {@code images/}: published image dirs and any {@code .build-*} staging. */
    List<String> imageDirEntries() throws IOException {
        try (Stream<Path> s = Files.list(imagesDir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** What the cache dir holds besides the blob cache (flattening scratch would show here). */
    List<String> cacheEntriesBesideBlobs() throws IOException {
        try (Stream<Path> s = Files.list(cacheDir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("blobs")).sorted().toList();
        }
    }

    /**
     * Every file in the blob cache that is not a complete, verified blob: a name other than
     * {@code sha256/<hex>}, or content that does not hash to its name (a partial download).
     */
    List<String> unverifiedBlobs() throws IOException {
        List<String> bad = new ArrayList<>();
        if (!Files.exists(blobsDir)) return bad;
        try (Stream<Path> s = Files.walk(blobsDir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = blobsDir.relativize(p).toString();
                if (!rel.matches("sha256/[0-9a-f]{64}") || !sha256Hex(p).equals(p.getFileName().toString())) bad.add(rel);
            }
        }
        return bad;
    }

    /** The digests of the complete blobs in the cache. */
    List<String> cachedDigests() throws IOException {
        Path dir = blobsDir.resolve("sha256");
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> "sha256:" + p.getFileName()).sorted().toList();
        }
    }

    static String sha256Hex(Path file) throws IOException {
        return dev.banger.daemon.fs.Sha256.of(file);
    }


    @Override
    public void close() {
        try {
            store.close();
        } finally {
            deleteTree(root);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (!Files.isSymbolicLink(p) && !Files.isWritable(p)) p.toFile().setWritable(true);
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
