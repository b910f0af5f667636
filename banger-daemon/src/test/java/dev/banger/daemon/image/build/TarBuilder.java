package dev.banger.daemon.image.build;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;

/** Builds tar streams in memory for tests, including entries a careful tar would never write. */
public final class TarBuilder {
    /** Every non-file entry gets this mtime so tests can check it survives. */
    public static final long DEFAULT_MTIME = 1_500_000_000L;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar;
    private final java.util.Map<String, String> pendingPax = new java.util.LinkedHashMap<>();

    public TarBuilder() {
        tar = new TarArchiveOutputStream(bytes, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    public TarBuilder dir(String name, int mode, long uid, long gid) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, true);
        return put(e, mode, uid, gid, null);
    }

    public TarBuilder file(String name, int mode, long uid, long gid, String content) throws IOException {
        return file(name, mode, uid, gid, content, 1_600_000_000L);
    }

    public TarBuilder file(String name, int mode, long uid, long gid, String content, long mtime) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(data.length);
        e.setLastModifiedTime(FileTime.fromMillis(mtime * 1000));
        e.setLastModifiedTime(FileTime.fromMillis(mtime * 1000));
        return put(e, mode, uid, gid, data);
    }

    /** A binary file (e.g. a real busybox for a bootable test image). */
    public TarBuilder file(String name, int mode, long uid, long gid, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
        e.setSize(data.length);
        e.setLastModifiedTime(FileTime.fromMillis(1_600_000_000_000L));
        return put(e, mode, uid, gid, data);
    }

    public TarBuilder symlink(String name, String target, long uid, long gid) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
        e.setLinkName(target);
        return put(e, 0777, uid, gid, null);
    }

    public TarBuilder hardlink(String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
        e.setLinkName(target);
        return put(e, 0644, 0, 0, null);
    }

    public TarBuilder node(String name, byte type, int mode, long uid, long gid, int major, int minor) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return put(e, mode, uid, gid, null);
    }

    /** A PAX header for the next entry only, e.g. {@code SCHILY.xattr.user.note}. */
    public TarBuilder pax(String key, String value) {
        pendingPax.put(key, value);
        return this;
    }

    /** A raw PAX extended header ('x') applying to the next entry; records must be well-formed ("LEN key=value\n"). */
    public TarBuilder rawPax(byte[] records) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry("PaxHeaders/next", TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
        e.setSize(records.length);
        tar.putArchiveEntry(e);
        tar.write(records);
        tar.closeArchiveEntry();
        return this;
    }

    private TarBuilder put(TarArchiveEntry e, int mode, long uid, long gid, byte[] data) throws IOException {
        pendingPax.forEach(e::addPaxHeader);
        pendingPax.clear();
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        if (e.getLinkFlag() != TarConstants.LF_NORMAL) {
            e.setLastModifiedTime(FileTime.fromMillis(DEFAULT_MTIME * 1000));
        }
        tar.putArchiveEntry(e);
        if (data != null) {
            tar.write(data);
        }
        tar.closeArchiveEntry();
        return this;
    }

    public InputStream stream() throws IOException {
        return new ByteArrayInputStream(bytes());
    }

    /** The finished tar; call once, after the last entry. */
    public byte[] bytes() throws IOException {
        tar.finish();
        return bytes.toByteArray();
    }
}
