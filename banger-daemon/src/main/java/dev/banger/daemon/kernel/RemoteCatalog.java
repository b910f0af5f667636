package dev.banger.daemon.kernel;

import dev.banger.daemon.fetch.CatalogFile;

import java.io.IOException;
import java.net.http.HttpClient;

/**
 * The list of kernel bundles that can be pulled: {@code {"version": 1, "entries": [...]}}.
 * The embedded catalog ships with banger; more can be loaded from a file or an http(s) URL and
 * merged over it with {@link CatalogFile#with}. A catalog is a {@link CatalogFile} (reading,
 * parsing, merging and lookup are its); this class knows the kernel catalog's format and where
 * the embedded one lives.
 */
public final class RemoteCatalog {
    static final String RESOURCE = "/dev/banger/daemon/kernel/catalog.json";
    static final CatalogFile.Format<CatalogEntry> FORMAT = new CatalogFile.Format<>("catalog", "entries", "kernel",
            CatalogEntry::name, f -> new CatalogEntry(f.text("name"), f.text("distro"), f.text("arch"),
                    f.text("kernel_version"), f.text("tarball_url"), f.text("tarball_sha256"), f.sizeBytes(), f.description()));

    private RemoteCatalog() { }

    /** The catalog built into banger. */
    public static CatalogFile<CatalogEntry> embedded() {
        return CatalogFile.embedded(RESOURCE, FORMAT);
    }

    /** fileOrUrl: a local path (or file: URI) or an http(s) URL. http may be null when loading a file. */
    public static CatalogFile<CatalogEntry> load(String fileOrUrl, HttpClient http) throws IOException, InterruptedException {
        return CatalogFile.read(fileOrUrl, http, FORMAT);
    }
}
