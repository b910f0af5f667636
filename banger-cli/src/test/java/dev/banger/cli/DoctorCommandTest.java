package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.api.DoctorCheckResult;
import dev.banger.core.api.DoctorReport;
import dev.banger.core.api.DoctorStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What `banger doctor` prints for people, and that it is a top-level verb. */
class DoctorCommandTest {
    @Test
    void oneAlignedLinePerCheckWithTheFixIndentedUnderIt() {
        DoctorReport r = new DoctorReport(List.of(
                new DoctorCheckResult("vmm_driver", DoctorStatus.OK, "QEMU driver: QEMU emulator version 7.2.22", "d", null),
                new DoctorCheckResult("device_mapper", DoctorStatus.WARN, "not available in this kernel", null, "sudo modprobe dm_mod"),
                new DoctorCheckResult("ip_forward", DoctorStatus.FAIL, "off", null, "")), 3);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DoctorCommand.print(new PrintStream(buf, true, StandardCharsets.UTF_8), r);
        assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("""
                ok    vmm_driver     QEMU driver: QEMU emulator version 7.2.22
                warn  device_mapper  not available in this kernel
                                     fix: sudo modprobe dm_mod
                fail  ip_forward     off
                """);
        assertThat(r.passed()).isFalse();
    }

    @Test
    void doctorIsATopLevelVerbWithJson() {
        var parsed = CommandTree.forArgs(new String[] {"doctor", "--json"}).parseArgs("doctor", "--json");
        DoctorCommand cmd = (DoctorCommand) parsed.subcommand().commandSpec().userObject();
        assertThat(cmd.json).isTrue();
        assertThat(CommandTree.full().getSubcommands()).containsKey("doctor");
    }
}
