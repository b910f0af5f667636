package dev.banger.daemon.image.build;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A tar unpacked into a scratch directory plus the metadata the scratch copy could not hold.
 *
 * @param xattrs extended attributes to set, by record path (regular files: the path of the FILE record)
 */
record ExtractedTree(Path root, List<EntryRecord> records, int entriesRead, Map<String, Map<String, byte[]>> xattrs) {

    ExtractedTree(Path root, List<EntryRecord> records, int entriesRead) {
        this(root, records, entriesRead, Map.of());
    }

    /** Regular-file content bytes; hardlinks share their target's inode and count once. */
    long contentBytes() {
        return records.stream().filter(r -> r.kind() == EntryKind.FILE).mapToLong(EntryRecord::size).sum();
    }

    long count(EntryKind kind) {
        return records.stream().filter(r -> r.kind() == kind).count();
    }
}
