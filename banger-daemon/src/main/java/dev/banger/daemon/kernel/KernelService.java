package dev.banger.daemon.kernel;

import dev.banger.core.ProgressSink;
import dev.banger.core.rpc.RpcException;
import dev.banger.daemon.fetch.CatalogFile;
import dev.banger.daemon.image.NamedLocks;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code banger kernel …}: the local catalog plus every way a kernel gets into it (Debian
 * package, staged directory, catalog pull) and auto-pull on first use.
 *
 * <p>One lock per kernel name serialises pull, auto-pull, import and rm of that name (seeds
 * 000 and 002). Waiting for it is interruptible, so a caller whose RPC was cancelled leaves at
 * once while the holder's pull goes on; after acquiring, the local catalog is checked again so
 * a peer's finished pull counts as success instead of being downloaded a second time.
 */
public final class KernelService {
    /** A catalog entry and whether it is already in the local catalog. */
    public record Available(CatalogEntry entry, boolean pulled) { }

    /** Where the kernel named by config comes from when nothing else provides it. */
    public record DefaultKernel(String name, String debianPackage) { }

    private final KernelCatalog local;
    private final DebKernelImporter debs;
    private final KernelDirImporter dirs;
    private final KernelPuller puller;
    private final CatalogFile<CatalogEntry> embedded;
    private final List<String> configuredSources;
    private final HttpClient http;
    private final DefaultKernel defaultKernel;
    private final Function<String, List<String>> imagesUsing;
    private final NamedLocks locks = new NamedLocks();

    /**
     * @param catalogSources extra catalogs from config (files or URLs), read on each use so an
     *                       edited file or a republished URL is seen without a restart
     * @param imagesUsing    names of the images that boot the named kernel (rm refuses while any do)
     */
    public KernelService(KernelCatalog local, DebKernelImporter debs, KernelDirImporter dirs, KernelPuller puller,
                         List<String> catalogSources, HttpClient http, DefaultKernel defaultKernel,
                         Function<String, List<String>> imagesUsing) {
        this.local = local;
        this.debs = debs;
        this.dirs = dirs;
        this.puller = puller;
        this.embedded = RemoteCatalog.embedded();
        this.configuredSources = List.copyOf(catalogSources);
        this.http = http;
        this.defaultKernel = defaultKernel;
        this.imagesUsing = imagesUsing;
    }

    /**
     * The kernel named, fetching it on first use: from the catalog when it is listed there, else
     * from the configured Debian package when it is the default kernel.
     */
    public KernelEntry ensure(String name, ProgressSink progress) throws Exception {
        validate(name);
        Optional<KernelEntry> found = local.find(name);
        if (found.isPresent()) return found.get();
        Optional<CatalogEntry> listed = catalog(List.of()).find(name);
        boolean isDefault = name.equals(defaultKernel.name());
        if (listed.isEmpty() && !isDefault) {
            throw RpcException.notFound("kernel not found: " + name + " (see banger kernel ls --available)");
        }
        try (AutoCloseable ignored = locks.acquire(name)) {
            found = local.find(name);
            if (found.isPresent()) return found.get();   // a peer pulled it while we waited
            if (listed.isPresent()) {
                progress.report("auto_pull_image", "pulling kernel " + name + " from " + listed.get().tarballUrl());
                return puller.pull(listed.get(), false, progress);
            }
            progress.report("auto_pull_image", "importing kernel " + name + " from " + defaultKernel.debianPackage());
            return debs.importDeb(name, defaultKernel.debianPackage(), progress);
        }
    }

    /** Refuses a kernel name that is neither local, nor in a catalog, nor the default (images must boot something). */
    public void requireKnown(String name) throws IOException, InterruptedException {
        validate(name);
        if (local.find(name).isPresent() || name.equals(defaultKernel.name()) || catalog(List.of()).find(name).isPresent()) return;
        throw RpcException.notFound("kernel not found: " + name + " (see banger kernel ls and kernel ls --available)");
    }

    public KernelEntry importDeb(String name, String packageOrFile, ProgressSink progress) throws Exception {
        validate(name);
        try (AutoCloseable ignored = locks.acquire(name)) {
            refuseExisting(name);
            return debs.importDeb(name, packageOrFile, progress);
        }
    }

    public KernelEntry importDir(String name, Path dir, ProgressSink progress) throws Exception {
        validate(name);
        if (!dir.isAbsolute()) throw RpcException.invalid("--from must be an absolute path: " + dir);
        if (!Files.isDirectory(dir)) throw RpcException.invalid("not a directory: " + dir);
        try (AutoCloseable ignored = locks.acquire(name)) {
            refuseExisting(name);
            return dirs.importDir(name, dir, progress);
        }
    }

    /**
     * An explicit pull. Without force, a kernel already present (perhaps pulled by a peer while
     * this call waited for the lock) is reported as already pulled rather than fetched again.
     */
    public KernelEntry pull(String name, boolean force, List<String> extraCatalogs, ProgressSink progress) throws Exception {
        validate(name);
        CatalogEntry entry = catalog(extraCatalogs).find(name).orElseThrow(() ->
                RpcException.notFound("kernel " + name + " is not in any catalog (see banger kernel ls --available)"));
        try (AutoCloseable ignored = locks.acquire(name)) {
            if (!force && local.find(name).isPresent()) {
                throw RpcException.conflict("kernel " + name + " is already pulled (use --force to replace it)");
            }
            try {
                return puller.pull(entry, force, progress);
            } catch (FileAlreadyExistsException e) {
                throw RpcException.conflict(e.getMessage());
            }
        }
    }

    public List<KernelEntry> list() throws IOException {
        return local.list();
    }

    public List<Available> available(List<String> extraCatalogs) throws IOException, InterruptedException {
        CatalogFile<CatalogEntry> c = catalog(extraCatalogs);
        List<Available> out = new java.util.ArrayList<>();
        for (CatalogEntry e : c.entries()) out.add(new Available(e, local.find(e.name()).isPresent()));
        return out;
    }

    public KernelEntry show(String name) throws IOException {
        validate(name);
        return local.find(name).orElseThrow(() -> RpcException.notFound("kernel not found: " + name));
    }

    public KernelEntry remove(String name) throws Exception {
        validate(name);
        try (AutoCloseable ignored = locks.acquire(name)) {
            KernelEntry entry = local.find(name).orElseThrow(() -> RpcException.notFound("kernel not found: " + name));
            List<String> users = imagesUsing.apply(name);
            if (!users.isEmpty()) throw RpcException.conflict("kernel " + name + " is used by image " + String.join(", ", users));
            local.remove(name);
            return entry;
        }
    }

    /** Embedded + configured + per-call catalogs; later ones win on a name. */
    CatalogFile<CatalogEntry> catalog(List<String> extraCatalogs) throws InterruptedException {
        CatalogFile<CatalogEntry> c = embedded;
        for (String source : configuredSources) c = c.with(load(source));
        for (String source : extraCatalogs) c = c.with(load(source));
        return c;
    }

    private CatalogFile<CatalogEntry> load(String source) throws InterruptedException {
        try {
            return RemoteCatalog.load(source, http);
        } catch (IOException e) {
            throw RpcException.invalid(e.getMessage());   // already names the catalog
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());
        }
    }

    private void refuseExisting(String name) throws IOException {
        if (local.find(name).isPresent()) throw RpcException.conflict("kernel already exists: " + name);
    }

    private static void validate(String name) {
        try {
            KernelCatalog.validateName(name);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalid(e.getMessage());
        }
    }
}
