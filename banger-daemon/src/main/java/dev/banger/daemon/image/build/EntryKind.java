package dev.banger.daemon.image.build;

/** The tar entry types we can reproduce in an ext4 image. */
enum EntryKind {
    DIR(0040000), FILE(0100000), SYMLINK(0120000), HARDLINK(0100000), CHAR(0020000), BLOCK(0060000), FIFO(0010000);

    /** The S_IFMT bits ext4 stores in i_mode for this kind. */
    final int typeBits;

    EntryKind(int typeBits) {
        this.typeBits = typeBits;
    }

    /** Kinds that cannot be created without privilege and are made by debugfs mknod instead. */
    boolean isSpecialNode() {
        return this == CHAR || this == BLOCK || this == FIFO;
    }
}
