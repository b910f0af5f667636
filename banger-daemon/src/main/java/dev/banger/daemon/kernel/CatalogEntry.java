package dev.banger.daemon.kernel;

import dev.banger.daemon.fetch.CatalogFile;

import java.util.regex.Pattern;

/**
 * One downloadable kernel bundle in a remote catalog: a zstd-compressed tar holding vmlinux,
 * optionally initrd.img and modules/. Every field is validated on construction, so an instance
 * can be trusted as far as shape goes (the bundle itself is checked against tarballSha256).
 * JSON field names are snake_case: name, distro, arch, kernel_version, tarball_url,
 * tarball_sha256, size_bytes, description. sizeBytes 0 means unknown.
 */
public record CatalogEntry(String name, String distro, String arch, String kernelVersion, String tarballUrl,
                           String tarballSha256, long sizeBytes, String description) {
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public CatalogEntry {
        KernelCatalog.validateName(name);
        requireMatch("distro", distro, WORD);
        requireMatch("arch", arch, WORD);
        // The importers' rule: it becomes a manifest value.
        requireMatch("kernel_version", kernelVersion, KernelFiles.VERSION);
        CatalogFile.requireSha256("kernel", name, "tarball_sha256", tarballSha256);
        CatalogFile.requireHttpUrl("kernel", name, "tarball_url", tarballUrl);
        CatalogFile.requireSize("kernel", name, sizeBytes);
        description = description == null ? "" : description;
    }

    private void requireMatch(String field, String value, Pattern p) {
        if (value == null || !p.matcher(value).matches()) {
            throw new IllegalArgumentException("kernel " + name + ": " + field + " is missing or has unexpected characters");
        }
    }
}
