package dev.banger.daemon.kernel;

import dev.banger.daemon.fetch.CatalogFile;

import java.io.IOException;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Optional;

/**
 * The list of kernel bundles that can be pulled: {@code {"version": 1, "entries": [...]}}.
 * The embedded catalog ships with banger; more can be loaded from a file or an http(s) URL and
 * merged over it with {@link #with(RemoteCatalog)}. Reading and parsing is {@link CatalogFile}'s.
 */
public final class RemoteCatalog {
    static final String RESOURCE = "/dev/banger/daemon/kernel/catalog.json";
    static final CatalogFile.Format<CatalogEntry> FORMAT = new CatalogFile.Format<>("catalog", "entries", "kernel",
            CatalogEntry::name, f -> new CatalogEntry(f.text("name"), f.text("distro"), f.text("arch"),
                    f.text("kernel_version"), f.text("tarball_url"), f.text("tarball_sha256"), f.sizeBytes(), f.description()));

    private final CatalogFile<CatalogEntry> file;

    private RemoteCatalog(CatalogFile<CatalogEntry> file) {
        this.file = file;
    }

    /** The catalog built into banger. */
    public static RemoteCatalog embedded() {
        return new RemoteCatalog(CatalogFile.embedded(RESOURCE, FORMAT));
    }

    /** fileOrUrl: a local path (or file: URI) or an http(s) URL. http may be null when loading a file. */
    public static RemoteCatalog load(String fileOrUrl, HttpClient http) throws IOException, InterruptedException {
        return new RemoteCatalog(CatalogFile.read(fileOrUrl, http, FORMAT));
    }

    /** This catalog with other's entries added; where both name a kernel, other's entry wins. */
    public RemoteCatalog with(RemoteCatalog other) {
        return new RemoteCatalog(file.with(other.file));
    }

    public Optional<CatalogEntry> find(String name) {
        return file.find(name);
    }

    /** All entries, sorted by name. */
    public List<CatalogEntry> entries() {
        return file.entries();
    }
}
