package dev.banger.daemon.image.catalog;

import dev.banger.daemon.fetch.CatalogFile;
import dev.banger.daemon.kernel.KernelCatalog;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One downloadable root filesystem in an image catalog. Every field is validated on construction,
 * so an instance can be trusted as far as shape goes (the payload itself is checked against
 * rootfsSha256 while it is pulled). JSON field names are snake_case: name, kernel_ref, format,
 * rootfs_url, rootfs_sha256, size_bytes, description. sizeBytes is the size of the download as
 * served (compressed), 0 meaning unknown.
 *
 * <p>format is one of {@link #FORMATS}: a tar (plain, gzip or zstd) of the root tree, or an ext4
 * image (plain or zstd).
 */
public record ImageCatalogEntry(String name, String kernelRef, String format, String rootfsUrl,
                                String rootfsSha256, long sizeBytes, String description) {
    public static final String TAR_ZST = "tar.zst";
    public static final String TAR_GZ = "tar.gz";
    public static final String TAR = "tar";
    public static final String EXT4_ZST = "ext4.zst";
    public static final String EXT4 = "ext4";
    public static final List<String> FORMATS = List.of(TAR_ZST, TAR_GZ, TAR, EXT4_ZST, EXT4);

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    public ImageCatalogEntry {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid image name " + quote(name)
                    + ": use 1-63 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
        try {
            KernelCatalog.validateName(kernelRef);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("image " + name + ": kernel_ref: " + e.getMessage());
        }
        if (format == null || !FORMATS.contains(format)) {
            throw new IllegalArgumentException("image " + name + ": format " + quote(format)
                    + " is not one of " + String.join(", ", FORMATS));
        }
        CatalogFile.requireHttpUrl("image", name, "rootfs_url", rootfsUrl);
        CatalogFile.requireSha256("image", name, "rootfs_sha256", rootfsSha256);
        CatalogFile.requireSize("image", name, sizeBytes);
        description = description == null ? "" : description;
    }

    /** True for the tar formats (converted to ext4 on the way in), false for ext4 payloads. */
    public boolean isTar() {
        return format.startsWith("tar");
    }

    // Names come from untrusted JSON; keep messages one printable line.
    private static String quote(String s) {
        if (s == null) {
            return "<missing>";
        }
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().limit(80).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f) {
                sb.append(String.format("\\x%02x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        if (s.codePointCount(0, s.length()) > 80) {
            sb.append('…');
        }
        return sb.append('"').toString();
    }
}
