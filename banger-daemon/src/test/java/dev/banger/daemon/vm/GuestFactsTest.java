package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The parsers of vm stats' one guest command, over text as a Debian guest prints it. */
class GuestFactsTest {
    private static final String MEMINFO = """
            MemTotal:         493096 kB
            MemFree:          301212 kB
            MemAvailable:     396840 kB
            Buffers:            9384 kB
            HugePages_Total:       0
            Hugepagesize:       2048 kB
            """;
    private static final String DF = """
            Filesystem         1-blocks      Used   Available Capacity Mounted on
            /dev/vda         8350298112 412364800  7528685568       6% /
            /dev/vdb         2040373248     24576  1935413248       1% /root
            """;
    private static final String OUTPUT = "@banger:meminfo\n" + MEMINFO + "@banger:uptime\n73.42 140.11\n@banger:df\n" + DF
            + "@banger:net\n10452\n3390\n";

    @Test
    void theWholeOutputOfTheGuestCommand() {
        GuestFacts f = GuestFacts.parse(OUTPUT);
        assertThat(f.memTotalBytes()).isEqualTo(493096L * 1024);
        assertThat(f.memAvailableBytes()).isEqualTo(396840L * 1024);
        assertThat(f.root()).isEqualTo(new GuestFacts.Disk(8350298112L, 412364800L));
        assertThat(f.work()).isEqualTo(new GuestFacts.Disk(2040373248L, 24576L));
        assertThat(f.uptimeSeconds()).isEqualTo(73.42);
        assertThat(f.rxBytes()).isEqualTo(10452);
        assertThat(f.txBytes()).isEqualTo(3390);
    }

    @Test
    void meminfoIsInKibibytesAndCountsWithoutAUnitStayAsTheyAre() {
        assertThat(GuestFacts.meminfo(MEMINFO.lines().toList()))
                .containsEntry("MemTotal", 493096L * 1024).containsEntry("HugePages_Total", 0L).containsEntry("Hugepagesize", 2048L * 1024);
    }

    @Test
    void aGuestWithoutAWorkDiskHasDfNameTheRootTwiceAndReadsAsNoWorkDisk() {
        List<String> lines = List.of("Filesystem 1-blocks Used Available Capacity Mounted on",
                "/dev/vda 8350298112 412364800 7528685568 6% /", "/dev/vda 8350298112 412364800 7528685568 6% /");
        assertThat(GuestFacts.df(lines)).containsExactly(new GuestFacts.Disk(8350298112L, 412364800L));
        GuestFacts f = GuestFacts.parse(OUTPUT.replace(DF, String.join("\n", lines) + "\n"));
        assertThat(f.work()).isEqualTo(GuestFacts.Disk.NONE);
    }

    @Test
    void aGuestWithoutEth0HasZeroNetworkCountersButMissingMemoryOrDiskIsAnError() {
        GuestFacts f = GuestFacts.parse(OUTPUT.replace("@banger:net\n10452\n3390\n", "@banger:net\n"));
        assertThat(f.rxBytes()).isZero();
        assertThat(f.txBytes()).isZero();
        assertThatThrownBy(() -> GuestFacts.parse(OUTPUT.replace("MemAvailable:     396840 kB\n", "")))
                .hasMessageContaining("MemAvailable");
        assertThatThrownBy(() -> GuestFacts.parse(OUTPUT.replace(DF, "Filesystem 1-blocks Used Available Capacity Mounted on\n")))
                .hasMessageContaining("df");
        assertThatThrownBy(() -> GuestFacts.parse(OUTPUT.replace("73.42 140.11", "soon"))).hasMessageContaining("uptime");
    }

    @Test
    void theGuestCommandIsOneFixedShellLineThatPrintsEverySection() {
        assertThat(GuestFacts.COMMAND).hasSize(3).startsWith("/bin/sh", "-c");
        assertThat(GuestFacts.COMMAND.get(2)).contains("@banger:meminfo", "@banger:uptime", "@banger:df", "@banger:net",
                "df -P -B1 / /root", "/sys/class/net/eth0/statistics/rx_bytes");
    }
}
