package dev.banger.cli;

import dev.banger.core.api.DoctorCheckResult;
import dev.banger.core.api.DoctorReport;
import dev.banger.core.api.Methods;
import dev.banger.core.api.NoParams;
import dev.banger.core.rpc.RpcClient;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code banger doctor}: bangerd's checks of this host (docs/doctor.md), one line each; exit 1 when one fails. */
@Command(name = "doctor", description = "Check this host for what banger needs: ok, warn or fail, what it means here, and the fix.",
        mixinStandardHelpOptions = true)
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the report as JSON (the doctor.run result).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        DoctorReport report;
        try (RpcClient daemon = DaemonClient.connect(Main.PATHS, true)) {
            report = daemon.call(Methods.DOCTOR_RUN, NoParams.NONE);
        }
        if (json) Output.json(System.out, report);
        else print(System.out, report);
        return report.passed() ? 0 : Main.EXIT_FAILED;
    }

    /** {@code ok    accelerator     summary}, and under a check with a fix, the fix indented. */
    static void print(PrintStream out, DoctorReport report) {
        int width = report.checks().stream().mapToInt(c -> c.name().length()).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (DoctorCheckResult c : report.checks()) {
            String status = c.status().wire();
            sb.append(status).append(" ".repeat(6 - status.length())).append(c.name()).append(" ".repeat(width - c.name().length() + 2))
                    .append(c.summary()).append('\n');
            if (c.fix() != null && !c.fix().isBlank()) sb.append(" ".repeat(6 + width + 2)).append("fix: ").append(c.fix()).append('\n');
        }
        out.print(sb);
    }
}
