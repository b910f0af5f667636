package dev.banger.daemon.image.build;

import java.nio.file.Path;
import java.util.List;

/** A tar unpacked into a scratch directory plus the metadata the scratch copy could not hold. */
record ExtractedTree(Path root, List<EntryRecord> records, int entriesRead) {

    /** Regular-file content bytes; hardlinks share their target's inode and count once. */
    long contentBytes() {
        return records.stream().filter(r -> r.kind() == EntryKind.FILE).mapToLong(EntryRecord::size).sum();
    }

    long count(EntryKind kind) {
        return records.stream().filter(r -> r.kind() == kind).count();
    }
}
