package dev.banger.daemon.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFilesTest {
    @TempDir
    Path tmp;

    private static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void underUmask022WhatTheDaemonAndItsToolsCreateIsStillPrivate() throws Exception {
        int before = PrivateFiles.umask(0022);
        try {
            Files.writeString(tmp.resolve("before"), "x");
            assertThat(perms(tmp.resolve("before"))).isEqualTo("rw-r--r--");
            PrivateFiles.restrictUmask();
            Files.writeString(tmp.resolve("file"), "x");
            Files.createDirectory(tmp.resolve("dir"));
            // A child process inherits it: what QEMU or mkfs.ext4 create is private too.
            new ProcessBuilder(List.of("touch", tmp.resolve("by-a-tool").toString())).start().waitFor();
            assertThat(perms(tmp.resolve("file"))).isEqualTo("rw-------");
            assertThat(perms(tmp.resolve("dir"))).isEqualTo("rwx------");
            assertThat(perms(tmp.resolve("by-a-tool"))).isEqualTo("rw-------");
        } finally {
            PrivateFiles.umask(before);
        }
    }

    @Test
    void restrictTreeClearsGroupAndOtherBitsKeepsOwnerExecuteAndLeavesSymlinkTargetsAlone() throws Exception {
        Path outside = Files.writeString(tmp.resolve("outside"), "x");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r--r--"));
        Path root = Files.createDirectories(tmp.resolve("kernel/modules/kernel"));
        Path ko = Files.writeString(root.resolve("ext4.ko"), "m");
        Path tool = Files.writeString(tmp.resolve("kernel/tool"), "t");
        Files.setPosixFilePermissions(ko, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(tmp.resolve("kernel/link"), outside);

        PrivateFiles.restrictTree(tmp.resolve("kernel"));

        assertThat(perms(tmp.resolve("kernel"))).isEqualTo("rwx------");
        assertThat(perms(root)).isEqualTo("rwx------");
        assertThat(perms(ko)).isEqualTo("rw-------");
        assertThat(perms(tool)).isEqualTo("rwx------");
        assertThat(perms(outside)).isEqualTo("rw-r--r--");
    }
}
