package dev.banger.daemon.boot;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VmInitrdTest {
    @TempDir
    Path tmp;

    @Test
    void outputIsBaseBytesFollowedByLayerWithThreeFiles() throws Exception {
        byte[] base = new byte[1027];
        Arrays.fill(base, (byte) 0x5A);
        Path baseFile = Files.write(tmp.resolve("initrd.img"), base);
        byte[] agent = "#!/bin/sh\necho agent\n".getBytes(StandardCharsets.US_ASCII);
        Path agentFile = Files.write(tmp.resolve("agent"), agent);
        Path out = tmp.resolve("vm-initrd.img");

        new VmInitrd(agentFile).build(baseFile, GuestBootConfigTest.ok(), out);

        byte[] all = Files.readAllBytes(out);
        assertThat(Arrays.copyOf(all, base.length)).isEqualTo(base);
        int layerStart = base.length + 1; // padded to 4 bytes
        assertThat(all[base.length]).isZero();
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, Integer> modes = new LinkedHashMap<>();
        try (CpioArchiveInputStream cpio = new CpioArchiveInputStream(
                new ByteArrayInputStream(all, layerStart, all.length - layerStart))) {
            for (CpioArchiveEntry e; (e = cpio.getNextCPIOEntry()) != null; ) {
                modes.put(e.getName(), (int) e.getMode());
                if (e.isRegularFile()) {
                    files.put(e.getName(), cpio.readAllBytes());
                }
            }
        }
        assertThat(files.keySet()).containsExactly("init", "banger/banger-agent", "banger/vm.conf");
        assertThat(new String(files.get("init"), StandardCharsets.UTF_8)).startsWith("#!/bin/sh").contains("switch_root");
        assertThat(files.get("banger/banger-agent")).isEqualTo(agent);
        assertThat(new String(files.get("banger/vm.conf"), StandardCharsets.US_ASCII)).contains("HOSTNAME=dev-1\n", "WORK=1\n");
        assertThat(modes.get("init") & 07777).isEqualTo(0755);
        assertThat(modes.get("banger/banger-agent") & 07777).isEqualTo(0755);
        assertThat(modes.get("banger/vm.conf") & 07777).isEqualTo(0644);
        assertThat(modes.get("banger") & 0170000).isEqualTo(0040000);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("initrd.img", "agent", "vm-initrd.img");
        }
    }

    @Test
    void probeLayerHoldsOnlyInit() throws Exception {
        Path baseFile = Files.write(tmp.resolve("initrd.img"), new byte[512]);
        Path out = tmp.resolve("probe.img");
        new VmInitrd(tmp.resolve("no-agent-needed")).buildProbe(baseFile, out);
        byte[] all = Files.readAllBytes(out);
        try (CpioArchiveInputStream cpio = new CpioArchiveInputStream(new ByteArrayInputStream(all, 512, all.length - 512))) {
            CpioArchiveEntry e = cpio.getNextCPIOEntry();
            assertThat(e.getName()).isEqualTo("init");
            assertThat(new String(cpio.readAllBytes(), StandardCharsets.UTF_8)).contains("BANGER-PROBE-OK", "poweroff -f");
            assertThat(cpio.getNextCPIOEntry()).isNull();
        }
    }

    @Test
    void missingInputsFailWithoutLeavingFiles() throws Exception {
        Path baseFile = Files.write(tmp.resolve("initrd.img"), new byte[4]);
        VmInitrd noAgent = new VmInitrd(tmp.resolve("absent-agent"));
        assertThatThrownBy(() -> noAgent.build(baseFile, GuestBootConfigTest.ok(), tmp.resolve("out.img")))
                .hasMessageContaining("agent");
        Path agent = Files.writeString(tmp.resolve("agent"), "x");
        assertThatThrownBy(() -> new VmInitrd(agent).build(tmp.resolve("absent.img"), GuestBootConfigTest.ok(), tmp.resolve("out.img")))
                .hasMessageContaining("kernel initrd");
        assertThatThrownBy(() -> new VmInitrd(agent).build(baseFile, GuestBootConfigTest.ok(), tmp.resolve("nodir/out.img")))
                .hasMessageContaining("output directory");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("initrd.img", "agent");
        }
    }
}
