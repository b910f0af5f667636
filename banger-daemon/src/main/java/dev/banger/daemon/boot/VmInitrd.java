package dev.banger.daemon.boot;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * Builds a VM's initrd: the kernel's base initrd.img followed by a small cpio with /init, the agent and
 * vm.conf. Linux unpacks concatenated archives in order and later entries win, so a new init script or
 * agent reaches guests without rebuilding any image or kernel.
 */
public final class VmInitrd {
    private static final byte[] INIT = resource("init.sh");
    private static final byte[] PROBE_INIT = resource("probe-init.sh");

    private final Path agentBinary;

    public VmInitrd(Path agentBinary) {
        if (agentBinary == null) {
            throw new IllegalArgumentException("agent binary path must not be null");
        }
        this.agentBinary = agentBinary.toAbsolutePath().normalize();
    }

    /** Writes kernelInitrd + the per-VM layer to out (written to a temp file in out's dir then renamed). */
    public void build(Path kernelInitrd, GuestBootConfig config, Path out) throws IOException {
        if (config == null) {
            throw new IllegalArgumentException("boot config must not be null");
        }
        if (!Files.isRegularFile(agentBinary)) {
            throw new IOException("agent binary not found: " + agentBinary);
        }
        write(kernelInitrd, out, layer -> {
            layer.file("init", 0755, INIT);
            layer.dir("banger", 0755);
            layer.file("banger/banger-agent", 0755, agentBinary);
            layer.file("banger/vm.conf", 0644, VmConf.render(config));
        });
    }

    /** A probe initrd: /init prints the line BANGER-PROBE-OK on the console and powers off (used to test whether KVM really boots this kernel). */
    public void buildProbe(Path kernelInitrd, Path out) throws IOException {
        write(kernelInitrd, out, layer -> layer.file("init", 0755, PROBE_INIT));
    }

    private interface LayerContent {
        void fill(CpioWriter layer) throws IOException;
    }

    private static void write(Path kernelInitrd, Path out, LayerContent content) throws IOException {
        if (kernelInitrd == null || !Files.isRegularFile(kernelInitrd)) {
            throw new IOException("kernel initrd not found: " + kernelInitrd);
        }
        Path target = out.toAbsolutePath().normalize();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("output directory does not exist: " + dir);
        }
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                long n;
                try (InputStream base = Files.newInputStream(kernelInitrd)) {
                    n = base.transferTo(os);
                }
                // Each cpio header must start 4-byte aligned; the kernel skips the zero padding between archives.
                os.write(new byte[(int) ((4 - n % 4) % 4)]);
                try (CpioWriter layer = new CpioWriter(os, CpioWriter.LAYER_FIRST_INODE)) {
                    content.fill(layer);
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = VmInitrd.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource dev/banger/daemon/boot/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
