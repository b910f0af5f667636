package dev.banger.daemon.kernel;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
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
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    // Same rule as the importer applies to a .deb's kernel version: it becomes a manifest value.
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._+-]{1,100}");

    public CatalogEntry {
        KernelCatalog.validateName(name);
        requireMatch("distro", distro, WORD);
        requireMatch("arch", arch, WORD);
        requireMatch("kernel_version", kernelVersion, VERSION);
        if (tarballSha256 == null || !SHA256.matcher(tarballSha256).matches()) {
            throw new IllegalArgumentException("kernel " + name + ": tarball_sha256 must be 64 lowercase hex digits");
        }
        validateUrl(name, tarballUrl);
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("kernel " + name + ": size_bytes must not be negative");
        }
        description = description == null ? "" : description;
    }

    private void requireMatch(String field, String value, Pattern p) {
        if (value == null || !p.matcher(value).matches()) {
            throw new IllegalArgumentException("kernel " + name + ": " + field + " is missing or has unexpected characters");
        }
    }

    private static void validateUrl(String name, String url) {
        if (url == null || url.isEmpty()) {
            throw new IllegalArgumentException("kernel " + name + ": tarball_url must not be empty");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("kernel " + name + ": tarball_url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("kernel " + name + ": tarball_url must be an http or https URL");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("kernel " + name + ": tarball_url has no host");
        }
    }
}
