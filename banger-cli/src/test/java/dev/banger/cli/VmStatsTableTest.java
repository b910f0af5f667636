package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.Json;
import dev.banger.core.api.Methods;
import dev.banger.core.api.VmUsage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code vm stats}: the table people read and the --json scripts read, from the documented vm.stats result. */
class VmStatsTableTest {
    private static final Path GOLDEN = Path.of("../banger-core/src/test/resources/rpc/vm.stats.result.json");

    private static String print(List<VmUsage> stats, boolean json) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        VmCommand.Stats.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), stats, json);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTableInBinaryUnitsWithADashForAVmWithoutAWorkDisk() throws Exception {
        List<VmUsage> golden = Methods.VM_STATS.decodeResult(Json.MAPPER.readTree(Files.readString(GOLDEN)));
        VmUsage noWork = new VmUsage("a-longer-name", 1, 100.0, 0, 1L << 30, 1L << 20, 8L << 30, 0, 0, 3 * 86400 + 4 * 3600 + 59, 0, 5L << 30);
        assertThat(print(List.of(golden.getFirst(), noWork), false)).isEqualTo("""
                NAME           CPU     MEM                   ROOT                 WORK                UPTIME  RX        TX
                dev            12.5%   94.0 MiB / 481.5 MiB  393.3 MiB / 7.8 GiB  24.0 KiB / 1.9 GiB  1m13s   10.2 KiB  3.3 KiB
                a-longer-name  100.0%  0 B / 1.0 GiB         1.0 MiB / 8.0 GiB    -                   3d04h   0 B       5.0 GiB
                """);
        assertThat(print(List.of(), false)).isEqualTo("NAME  CPU  MEM  ROOT  WORK  UPTIME  RX  TX\n");
    }

    @Test
    void jsonIsExactlyTheRpcResult() throws Exception {
        String golden = Files.readString(GOLDEN);
        List<VmUsage> stats = Methods.VM_STATS.decodeResult(Json.MAPPER.readTree(golden));
        assertThat(Json.MAPPER.readTree(print(stats, true))).isEqualTo(Json.MAPPER.readTree(golden));
    }

    @Test
    void uptimeInItsTwoLargestUnits() {
        assertThat(VmCommand.Stats.duration(0)).isEqualTo("0s");
        assertThat(VmCommand.Stats.duration(42)).isEqualTo("42s");
        assertThat(VmCommand.Stats.duration(312)).isEqualTo("5m12s");
        assertThat(VmCommand.Stats.duration(2 * 3600 + 5 * 60 + 9)).isEqualTo("2h05m");
        assertThat(VmCommand.Stats.duration(86400)).isEqualTo("1d00h");
    }
}
