package dev.banger.daemon.image.build;

/**
 * What one tar → ext4 conversion produced.
 *
 * @param sizeBytes      apparent size of the image file (sparse; the guest sees this much)
 * @param contentBytes   bytes of regular-file content in the tree (hardlinks counted once)
 * @param entries        tar entries read from the stream
 * @param ownershipFixes inodes whose uid/gid/mode debugfs had to correct after mkfs.ext4,
 *                       including every device node and fifo it created
 */
public record Ext4Result(long sizeBytes, long contentBytes, int entries, int ownershipFixes) { }
