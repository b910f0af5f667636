package dev.banger.core.api;

import java.time.Instant;

/** A local kernel: its manifest fields plus where its files are. */
public record KernelInfo(String name, String distro, String arch, String kernelVersion, String sha256, String source,
                         Instant importedAt, String vmlinux, String initrd, String modules) { }
