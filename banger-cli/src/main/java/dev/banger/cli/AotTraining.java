package dev.banger.cli;

import dev.banger.core.Json;
import dev.banger.core.api.Methods;
import dev.banger.core.api.NoParams;
import dev.banger.core.api.VmExecParams;
import dev.banger.core.model.VmRecord;
import dev.banger.core.rpc.RpcClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Training run for the CLI's AOT cache (bin/build runs it with -XX:AOTCacheOutput): walks
 * the code paths of a typical call — command tree, request encoding, response parsing, table
 * and JSON rendering, a Unix-socket connect — so their classes are loaded and linked ahead
 * of time. Touches no daemon and no user state.
 */
final class AotTraining {
    private AotTraining() { }

    public static void main(String[] args) throws Exception {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        for (String[] a : List.of(new String[] {"vm", "ls"}, new String[] {"vm", "exec", "x", "--", "true"},
                new String[] {"image", "ls"}, new String[] {"__complete", "vms"}, new String[] {"--help"})) {
            CommandTree.forArgs(a).parseArgs(a);
        }
        String sample = """
                [{"id":"0123456789abcdef","name":"dev","image_id":"i","state":"running","created_at":"2026-01-01T00:00:00Z",
                  "updated_at":"2026-01-01T00:00:00Z","spec":{"vcpu":1,"memory_mib":512,"work_disk_bytes":2147483648},
                  "runtime":{"guest_ip":"172.30.0.10","ssh_port":40000,"pid":1}}]""";
        List<VmRecord> vms = Methods.VM_LIST.decodeResult(Json.MAPPER.readTree(sample));
        Json.MAPPER.writeValueAsString(Map.of("jsonrpc", "2.0", "id", 1, "method", "vm.list", "params", NoParams.NONE));
        Json.MAPPER.valueToTree(new VmExecParams("dev", List.of("true"), null, null, false, 24, 80));
        VmCommand.Ls.print(sink, vms, true);
        VmCommand.Ls.print(sink, vms, false);
        Output.fields(sink, Summaries.vm(vms.getFirst(), null));
        // Progress on a terminal (JLine's Display over xterm's terminfo) and as plain lines, drawn into the sink.
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        LiveProgress live = new LiveProgress(LiveProgress.terminal(screen, "xterm", 24, 80, java.nio.charset.StandardCharsets.UTF_8),
                80, System::nanoTime, false);
        var note = new dev.banger.core.api.ProgressNote(com.fasterxml.jackson.databind.node.IntNode.valueOf(1), "pull_kernel",
                "downloaded 1.0 of 2.0 MiB", 1, "resolve_image", 1L, 1L << 20, 2L << 20);
        live.note(note);
        live.end(true);
        PlainProgress plain = new PlainProgress(sink);
        plain.note(note);
        plain.end(true);
        try (RpcClient c = RpcClient.connect(Path.of("/nonexistent/banger-aot-training.sock"))) {
            c.call(Methods.VM_LIST, NoParams.NONE);
        } catch (java.io.IOException expected) {
            // no daemon on purpose: only the connect path's classes are wanted
        }
    }
}
