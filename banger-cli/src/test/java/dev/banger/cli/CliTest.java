package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.Json;
import dev.banger.core.api.Methods;
import dev.banger.core.api.VmCreateParams;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import dev.banger.core.model.PortForward;
import picocli.CommandLine;

/**
 * The CLI on its real command classes, with no daemon: option parsing into RPC parameters,
 * size and memory parsing, exit codes and the one-line error for bad input (docs/cli.md), and
 * the vm ls table and --json output.
 */
class CliTest {
    record Run(int exit, String out, String err) { }

    /** Runs banger with these arguments through the same tree and handlers as Main.main, capturing picocli's out/err. */
    private static Run banger(String... args) {
        CommandLine cli = Main.commandLine(args);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** The command object picocli filled for these arguments (group, then verb). */
    @SuppressWarnings("unchecked")
    private static <T> T parsed(String... args) {
        CommandLine.ParseResult r = CommandTree.forArgs(args).parseArgs(args);
        return (T) r.subcommand().subcommand().commandSpec().userObject();
    }

    private static void assertBadUsage(Run r, String expected) {
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("banger: ").contains(expected).doesNotContain("\n");
    }

    @Test
    void createOptionsBecomeTheRpcParameters() {
        VmCommand.Create c = parsed("vm", "create", "--name", "dev", "--image", "alpine", "--vcpu", "2",
                "--memory", "1G", "--disk-size", "4G", "--no-start", "--json");
        assertThat(c.noStart).isTrue();
        assertThat(c.json).isTrue();
        assertThat(c.opts.params(c.noStart)).isEqualTo(new VmCreateParams("dev", "alpine", 2, 1024, "4G", true, false));
        VmCommand.Create bare = parsed("vm", "create");
        assertThat((JsonNode) Json.MAPPER.valueToTree(bare.opts.params(false))).as("unset options are left out of the request")
                .isEqualTo(Json.MAPPER.createObjectNode().put("no_start", false).put("remove_on_failure", false));
    }

    @Test
    void idleStopIsPassedAsTypedOnCreateAndRun() {
        assertThat(((VmCommand.Create) parsed("vm", "create", "--idle-stop", "30m")).opts.params(false).idleStop()).isEqualTo("30m");
        assertThat(((VmCommand.Run) parsed("vm", "run", "--idle-stop", "2h", "--rm")).opts.params(false).idleStop()).isEqualTo("2h");
        assertThat(((VmCommand.Create) parsed("vm", "create")).opts.params(false).idleStop()).as("the daemon's default").isNull();
    }

    @Test
    void rootSizeIsPassedAsTypedAndResizeNeedsASize() {
        VmCommand.Create c = parsed("vm", "create", "--root-size", "16G");
        assertThat(c.opts.params(false).rootSize()).isEqualTo("16G");
        VmCommand.Run r = parsed("vm", "run", "--root-size", "20G", "--rm");
        assertThat(r.opts.params(false).booting(true).rootSize()).as("vm run keeps it").isEqualTo("20G");
        VmCommand.Resize z = parsed("vm", "resize", "dev", "--root-size", "16G", "--disk-size", "8G");
        assertThat(List.of(z.vm, z.rootSize, z.diskSize)).containsExactly("dev", "16G", "8G");
        assertBadUsage(banger("vm", "resize", "dev"), "give --root-size, --disk-size or both");
    }

    @Test
    void execTakesTheVmThenEverythingAfterTheDashesAsTheCommand() {
        VmCommand.Exec e = parsed("vm", "exec", "-i", "-t", "dev", "--", "ls", "-l", "--color");
        assertThat(e.vm).isEqualTo("dev");
        assertThat(e.command).containsExactly("ls", "-l", "--color");
        assertThat(e.interactive).isTrue();
        assertThat(e.tty).isTrue();
        VmCommand.Rm rm = parsed("vm", "rm", "-f", "a", "b");
        assertThat(rm.vms).containsExactly("a", "b");
        assertThat(rm.force).isTrue();
        VmCommand.Ls ls = parsed("vm", "list", "--json");
        assertThat(ls.json).as("the alias answers").isTrue();
    }

    @Test
    void memoryIsMibOrASize() {
        assertThat(VmCommand.CreateOptions.memoryMib("512")).isEqualTo(512);
        assertThat(VmCommand.CreateOptions.memoryMib(" 64 ")).isEqualTo(64);
        assertThat(VmCommand.CreateOptions.memoryMib("1G")).isEqualTo(1024);
        assertThat(VmCommand.CreateOptions.memoryMib("1.5G")).isEqualTo(1536);
        assertThat(VmCommand.CreateOptions.memoryMib("2048M")).isEqualTo(2048);
        assertThat(VmCommand.CreateOptions.memoryMib("2GiB")).isEqualTo(2048);
        assertThatThrownBy(() -> VmCommand.CreateOptions.memoryMib("lots")).isInstanceOf(RpcException.class)
                .hasMessageContaining("unparseable size \"lots\"");
    }

    @Test
    void badUsageExitsTwoWithOneLine() {
        assertBadUsage(banger("vm", "create", "--bogus"), "Unknown option: '--bogus'");
        assertBadUsage(banger("vm", "start"), "Missing required parameter: 'VM'");
        assertBadUsage(banger("vm", "create", "--vcpu", "two"), "Invalid value for option '--vcpu': 'two' is not an int");
        assertBadUsage(banger("vm", "exec", "dev"), "Missing required parameter: 'CMD'");
        assertBadUsage(banger("vm", "frobnicate"), "Unmatched argument");
        assertBadUsage(banger("nonsense"), "Unmatched argument");
    }

    @Test
    void inputRefusedBeforeAnyDaemonCallExitsTwoWithOneLine() {
        Run memory = banger("vm", "create", "--memory", "lots", "--no-start");
        assertThat(memory.exit()).as("invalid input is exit 2, like bad usage").isEqualTo(2);
        assertThat(memory.err()).isEqualTo("banger: unparseable size \"lots\": use a number with an optional K, M, G or T suffix\n");
        Run twoImages = banger("vm", "run", "alpine", "debian", "--", "true");
        assertThat(twoImages.exit()).isEqualTo(2);
        assertThat(twoImages.err()).isEqualTo("banger: expected at most one image before --, got [alpine, debian]\n");
    }

    @Test
    void publishFlagsOfCreateAndRunBecomeThePortForwardsOfTheRequest() {
        VmCommand.Create c = parsed("vm", "create", "-p", "8080:80", "--publish", "0.0.0.0:5353:53/udp");
        assertThat(c.opts.params(false).portForwards()).containsExactly(
                new PortForward("127.0.0.1", 8080, 80, PortForward.Protocol.TCP), new PortForward("0.0.0.0", 5353, 53, PortForward.Protocol.UDP));
        VmCommand.Run r = parsed("vm", "run", "-p", "127.0.0.2:9000:90", "alpine", "--", "true");
        assertThat(r.opts.params(false).portForwards()).containsExactly(new PortForward("127.0.0.2", 9000, 90, PortForward.Protocol.TCP));
        assertThat(((VmCommand.Create) parsed("vm", "create")).opts.params(false).portForwards()).isNull();
    }

    @Test
    void aMalformedForwardIsRefusedBeforeAnyDaemonCallWithExitTwo() {
        assertBadUsage(banger("vm", "create", "-p", "8080", "--no-start"), "invalid port forward '8080'");
        assertBadUsage(banger("vm", "run", "-p", "8080:80/sctp", "--", "true"), "protocol must be tcp or udp");
        assertBadUsage(banger("vm", "port", "add", "dev", "localhost:80:80"), "IPv4");
        assertBadUsage(banger("vm", "port", "rm", "dev", "80x"), "expected [HOST_IP:]HOST_PORT[/tcp|udp]");
        assertBadUsage(banger("vm", "port", "add", "dev"), "Missing required parameter");
    }

    @Test
    void portRmTakesTheHostSideOrAWholeSpec() {
        assertThat(VmCommand.PortRm.hostSide("8080").hostSide()).isEqualTo("127.0.0.1:8080/tcp");
        assertThat(VmCommand.PortRm.hostSide("127.0.0.2:8080/udp").hostSide()).isEqualTo("127.0.0.2:8080/udp");
        assertThat(VmCommand.PortRm.hostSide("8080:80/udp").hostSide()).isEqualTo("127.0.0.1:8080/udp");
        assertThat(VmCommand.PortRm.hostSide("0.0.0.0:8080:80").hostSide()).isEqualTo("0.0.0.0:8080/tcp");
    }

    @Test
    void helpAndVersionExitZero() {
        Run help = banger("vm", "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("create", "exec", "prune", "logs");
        Run version = banger("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).isEqualTo("banger 0.1.0\n");
    }

    @Test
    void exitCodesForFailures() {
        assertThat(Main.exitCodeFor(new RpcException(RpcErrors.CANCELLED, "cancelled"))).isEqualTo(130);
        assertThat(Main.exitCodeFor(RpcException.invalid("vcpu must be a positive integer"))).isEqualTo(2);
        assertThat(Main.exitCodeFor(RpcException.notFound("no such vm: ghost"))).isEqualTo(4);
        assertThat(Main.exitCodeFor(RpcException.conflict("vm name already exists: dev"))).isEqualTo(5);
        assertThat(Main.exitCodeFor(new RpcException(RpcErrors.FAILED, "boot failed"))).isEqualTo(1);
        assertThat(Main.exitCodeFor(new RpcException(RpcErrors.INTERNAL, "store error"))).isEqualTo(1);
        assertThat(Main.exitCodeFor(new RpcException(RpcErrors.CANCELLED + 1, "an unknown code"))).isEqualTo(1);
        assertThat(Main.exitCodeFor(new IllegalArgumentException("a bug in the CLI"))).as("never invalid by accident").isEqualTo(1);
        assertThat(Main.exitCodeFor(new java.io.IOException("bangerd is not running"))).isEqualTo(1);
        assertThat(Main.oneLine(new IllegalStateException("first\nsecond\nthird"))).isEqualTo("first");
        assertThat(Main.oneLine(new NullPointerException())).isEqualTo("java.lang.NullPointerException");
    }

    private static String ls(JsonNode vms, boolean json) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        VmCommand.Ls.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), Methods.VM_LIST.decodeResult(vms), json);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static final String TWO_VMS = """
            [{"id": "3f2a9c0d1e4b5a67", "name": "dev", "image_id": "img1", "state": "running",
              "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:05Z",
              "spec": {"vcpu": 2, "memory_mib": 1024, "work_disk_bytes": 2147483648},
              "runtime": {"guest_ip": "172.30.0.10", "ssh_port": 40123, "pid": 12345}},
             {"id": "00000000000000aa", "name": "a-much-longer-name", "image_id": "img1", "state": "stopped",
              "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:05Z",
              "spec": {"vcpu": 1, "memory_mib": 512, "work_disk_bytes": 2147483648},
              "runtime": {"last_error": "boom"}},
             {"id": "0123456789abcdef", "name": "web", "image_id": "img1", "state": "running",
              "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:05Z",
              "spec": {"vcpu": 1, "memory_mib": 512, "work_disk_bytes": 2147483648, "nat": true},
              "runtime": {"guest_ip": "10.77.0.10", "dns_name": "web.vm", "pid": 4242, "network": "bridge", "tap": "bt0123456789ab"}}]""";

    @Test
    void vmLsPrintsAnAlignedTableWithDashesForWhatDoesNotApply() throws Exception {
        assertThat(ls(Json.MAPPER.readTree(TWO_VMS), false)).isEqualTo("""
                NAME                ID                STATE    IP           DNS     VCPU  MEMORY  SSH
                dev                 3f2a9c0d1e4b5a67  running  172.30.0.10  -       2     1024M   127.0.0.1:40123
                a-much-longer-name  00000000000000aa  stopped  -            -       1     512M    -
                web                 0123456789abcdef  running  10.77.0.10   web.vm  1     512M    10.77.0.10:22
                """);
        assertThat(ls(Json.MAPPER.readTree("[]"), false)).isEqualTo("NAME  ID  STATE  IP  DNS  VCPU  MEMORY  SSH\n");
    }

    @Test
    void vmLsJsonIsExactlyTheRpcResult() throws Exception {
        JsonNode vms = Json.MAPPER.readTree(TWO_VMS);
        String printed = ls(vms, true);
        assertThat(Json.MAPPER.readTree(printed)).isEqualTo(vms);
        assertThat(printed).endsWith("]\n");
        assertThat(List.of(printed.split("\n")).size()).as("pretty-printed for people who read it too").isGreaterThan(2);
    }
}
