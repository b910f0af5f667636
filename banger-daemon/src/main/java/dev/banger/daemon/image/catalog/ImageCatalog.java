package dev.banger.daemon.image.catalog;

import dev.banger.daemon.fetch.CatalogFile;

import java.io.IOException;
import java.net.http.HttpClient;

/**
 * The list of root filesystem bundles that can be pulled: {@code {"version": 1, "images": [...]}}.
 * The embedded catalog ships with banger (empty until bundles are published); more can be loaded
 * from a file or an http(s) URL and merged over it with {@link CatalogFile#with}. Locations,
 * size limit and document rules are the kernel catalog's ({@link CatalogFile}).
 */
public final class ImageCatalog {
    static final String RESOURCE = "/dev/banger/daemon/image/catalog/catalog.json";
    static final CatalogFile.Format<ImageCatalogEntry> FORMAT = new CatalogFile.Format<>("image catalog", "images", "image",
            ImageCatalogEntry::name, f -> new ImageCatalogEntry(f.text("name"), f.text("kernel_ref"), f.text("format"),
                    f.text("rootfs_url"), f.text("rootfs_sha256"), f.sizeBytes(), f.description()));

    private ImageCatalog() { }

    /** The catalog built into banger. */
    public static CatalogFile<ImageCatalogEntry> embedded() {
        return CatalogFile.embedded(RESOURCE, FORMAT);
    }

    /** fileOrUrl: a local path (or file: URI) or an http(s) URL. http may be null when loading a file. */
    public static CatalogFile<ImageCatalogEntry> load(String fileOrUrl, HttpClient http) throws IOException, InterruptedException {
        return CatalogFile.read(fileOrUrl, http, FORMAT);
    }
}
