package dev.banger.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.Json;
import dev.banger.core.api.KernelInfo;
import dev.banger.core.api.Methods;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The show summaries people read (--json stays the RPC record), and the completion scripts and their name lookup. */
class ShowAndCompletionTest {
    private static String printed(List<Output.Field> fields) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output.fields(new PrintStream(bytes, true, StandardCharsets.UTF_8), fields);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static final String RUNNING_VM = """
            {"id": "3f2a9c0d1e4b5a67", "name": "dev", "image_id": "img1", "state": "running",
             "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:05.123Z",
             "spec": {"vcpu": 2, "memory_mib": 1536, "work_disk_bytes": 4294967296, "root_disk_bytes": 17179869184},
             "runtime": {"guest_ip": "172.30.0.10", "dns_name": "dev.vm", "vm_dir": "/h/vms/3f2a", "console_log": "/h/vms/3f2a/console.log",
                         "ssh_port": 40123, "pid": 12345, "vmm": "qemu", "accel": "tcg", "started_at": "2026-11-22T10:00:04Z"}}""";

    private static final String IMAGE = """
            {"id": "img1", "name": "debian", "rootfs_path": "/h/images/img1/rootfs.ext4", "kernel_ref": "debian-cloud",
             "source": "mmdebstrap:bookworm", "size_bytes": 1073741824, "created_at": "2026-11-20T08:30:00Z",
             "config": {"entrypoint": [], "cmd": [], "env": [], "working_dir": "", "user": ""}}""";

    @Test
    void vmSummaryIsAlignedKeyValueLinesInHumanUnitsNamingTheImageAndKernel() throws Exception {
        VmRecord vm = Methods.VM_SHOW.decodeResult(Json.MAPPER.readTree(RUNNING_VM));
        ImageRecord image = Methods.IMAGE_SHOW.decodeResult(Json.MAPPER.readTree(IMAGE));
        assertThat(printed(Summaries.vm(vm, image))).isEqualTo("""
                name:        dev
                id:          3f2a9c0d1e4b5a67
                state:       running
                image:       debian (img1)
                kernel:      debian-cloud
                vcpu:        2
                memory:      1.5 GiB
                root disk:   16.0 GiB
                work disk:   4.0 GiB
                guest ip:    172.30.0.10
                network:     user (rootless)
                ssh:         127.0.0.1:40123
                vmm:         qemu (tcg), pid 12345
                started:     2026-11-22 10:00:04 UTC
                created:     2026-11-22 10:00:00 UTC
                updated:     2026-11-22 10:00:05 UTC
                console log: /h/vms/3f2a/console.log
                vm dir:      /h/vms/3f2a
                """);
    }

    @Test
    void anIdleStopIsShownWithWhenItWillHappen() throws Exception {
        VmRecord vm = Methods.VM_SHOW.decodeResult(Json.MAPPER.readTree(RUNNING_VM
                .replace("\"root_disk_bytes\": 17179869184}", "\"root_disk_bytes\": 17179869184, \"idle_stop_seconds\": 1800}")
                .replace("\"started_at\": \"2026-11-22T10:00:04Z\"}", "\"started_at\": \"2026-11-22T10:00:04Z\", \"idle_stop_at\": \"2026-11-22T10:30:04Z\"}")));
        assertThat(printed(Summaries.vm(vm, null))).contains("idle stop:   30m (stops at 2026-11-22 10:30:04 UTC if idle until then)\n");
        VmRecord notYetSeen = vm.withRuntime(vm.runtime().withIdleStopAt(null));
        assertThat(printed(Summaries.vm(notYetSeen, null))).contains("idle stop:   30m\n");
    }

    @Test
    void aVmsPortForwardsAreOneLineAsVmPortLsWritesThem() throws Exception {
        VmRecord vm = Methods.VM_SHOW.decodeResult(Json.MAPPER.readTree(RUNNING_VM.replace("\"root_disk_bytes\": 17179869184}",
                "\"root_disk_bytes\": 17179869184, \"port_forwards\": [{\"host_ip\": \"127.0.0.1\", \"host_port\": 8080, \"guest_port\": 80,"
                + " \"protocol\": \"tcp\"}, {\"host_ip\": \"0.0.0.0\", \"host_port\": 5353, \"guest_port\": 53, \"protocol\": \"udp\"}]}")));
        assertThat(printed(Summaries.vm(vm, null))).contains("ssh:         127.0.0.1:40123\nports:       127.0.0.1:8080:80/tcp, 0.0.0.0:5353:53/udp\n");
    }

    @Test
    void stoppedVmSummaryLeavesOutWhatDoesNotApplyAndShowsTheLastError() throws Exception {
        VmRecord vm = Methods.VM_SHOW.decodeResult(Json.MAPPER.readTree("""
                {"id": "00000000000000aa", "name": "broken", "image_id": "gone1", "state": "error",
                 "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:05Z",
                 "spec": {"vcpu": 1, "memory_mib": 512, "work_disk_bytes": 2147483648},
                 "runtime": {"guest_ip": "172.30.0.11", "last_error": "start broken: wait_agent: guest agent did not say hello"}}"""));
        String out = printed(Summaries.vm(vm, null));
        assertThat(out).contains("image:      gone1\n", "memory:     512.0 MiB\n",
                "root disk:  the image's size\n",
                "last error: start broken: wait_agent: guest agent did not say hello\n");
        assertThat(out).doesNotContain("kernel:", "ssh:", "ports:", "vmm:", "started:", "console log:", "idle stop:", "null");
    }

    @Test
    void imageAndKernelSummaries() throws Exception {
        ImageRecord oci = Methods.IMAGE_SHOW.decodeResult(Json.MAPPER.readTree("""
                {"id": "i2", "name": "docker.io/library/python:3.12", "rootfs_path": "/h/images/i2/rootfs.ext4",
                 "kernel_ref": "debian-cloud", "source": "oci:docker.io/library/python@sha256:ab", "size_bytes": 524288000,
                 "created_at": "2026-11-21T12:00:00Z",
                 "config": {"entrypoint": ["/bin/sh", "-c"], "cmd": ["echo hi there"], "env": ["PATH=/usr/bin", "LANG=C.UTF-8"],
                            "working_dir": "/app", "user": ""}}"""));
        assertThat(printed(Summaries.image(oci))).isEqualTo("""
                name:        docker.io/library/python:3.12
                id:          i2
                kernel:      debian-cloud
                source:      oci:docker.io/library/python@sha256:ab
                size:        500.0 MiB
                created:     2026-11-21 12:00:00 UTC
                entrypoint:  /bin/sh -c
                cmd:         "echo hi there"
                working dir: /app
                env:         PATH=/usr/bin LANG=C.UTF-8
                rootfs:      /h/images/i2/rootfs.ext4
                """);
        assertThat(printed(Summaries.image(Methods.IMAGE_SHOW.decodeResult(Json.MAPPER.readTree(IMAGE)))))
                .as("a plain root filesystem has no run config lines").doesNotContain("entrypoint", "cmd", "env", "user");
        KernelInfo k = new KernelInfo("debian-cloud", "debian", "x86_64", "6.1.0-27-cloud-amd64", "ab12", "apt:linux-image-cloud-amd64=6.1",
                java.time.Instant.parse("2026-11-20T08:00:00Z"), "/h/kernels/debian-cloud/vmlinux", "/h/kernels/debian-cloud/initrd.img", null);
        assertThat(printed(Summaries.kernel(k))).isEqualTo("""
                name:     debian-cloud
                version:  6.1.0-27-cloud-amd64
                distro:   debian
                arch:     x86_64
                source:   apt:linux-image-cloud-amd64=6.1
                imported: 2026-11-20 08:00:00 UTC
                sha256:   ab12
                vmlinux:  /h/kernels/debian-cloud/vmlinux
                initrd:   /h/kernels/debian-cloud/initrd.img
                """);
    }

    @Test
    void showTakesJsonAndTheKernelVerbsTakeAKernel() {
        CommandLine.ParseResult vm = CommandTree.forArgs(new String[] {"vm", "show"}).parseArgs("vm", "show", "dev", "--json");
        VmCommand.Show show = (VmCommand.Show) vm.subcommand().subcommand().commandSpec().userObject();
        assertThat(show.json).isTrue();
        VmCommand.Show plain = (VmCommand.Show) CommandTree.forArgs(new String[] {"vm", "show"}).parseArgs("vm", "show", "dev")
                .subcommand().subcommand().commandSpec().userObject();
        assertThat(plain.json).as("the summary is the default").isFalse();
        assertThat(CommandTree.full().getSubcommands().get("kernel").getSubcommands().get("show").getCommandSpec()
                .positionalParameters().getFirst().paramLabel()).isEqualTo("KERNEL");
    }

    @Test
    void everyArgumentThatNamesAVmImageOrKernelCompletesFromTheDaemon() {
        CommandLine tree = Completion.withNameCandidates(CommandTree.full());
        assertThat(candidates(tree, "vm", "show", null)).containsExactly("__banger_names_vms__");
        assertThat(candidates(tree, "vm", "rm", null)).containsExactly("__banger_names_vms__");
        assertThat(candidates(tree, "image", "promote", null)).containsExactly("__banger_names_vms__");
        assertThat(candidates(tree, "image", "rm", null)).containsExactly("__banger_names_images__");
        assertThat(candidates(tree, "kernel", "show", null)).containsExactly("__banger_names_kernels__");
        assertThat(candidates(tree, "vm", "create", "--image")).containsExactly("__banger_names_images__");
        assertThat(candidates(tree, "image", "import", "--kernel-ref")).containsExactly("__banger_names_kernels__");
        assertThat(candidates(tree, "kernel", "pull", null)).as("a new name completes from nothing").isNull();
        // the rebuilt arguments still parse as before
        VmCommand.Create c = (VmCommand.Create) tree.parseArgs("vm", "create", "--image", "alpine").subcommand().subcommand()
                .commandSpec().userObject();
        assertThat(c.opts.image).isEqualTo("alpine");
    }

    private static Iterable<String> candidates(CommandLine tree, String group, String verb, String option) {
        var spec = tree.getSubcommands().get(group).getSubcommands().get(verb).getCommandSpec();
        return option == null ? spec.positionalParameters().getFirst().completionCandidates() : spec.findOption(option).completionCandidates();
    }

    @Test
    void bashScriptAsksTheDaemonForNamesAtTabTimeAndNotAtGenerationTime() {
        String script = Completion.script(Completion.Shell.bash);
        assertThat(script).contains("local VM_pos_param_args=($(_banger_names vms))", "local IMAGE_pos_param_args=($(_banger_names images))",
                "local KERNEL_pos_param_args=($(_banger_names kernels))", "local image_option_args=($(_banger_names images))",
                "function _banger_names()", "complete -F _complete_banger");
        assertThat(script).doesNotContain("__banger_names_").as("the hidden verb is not offered").doesNotContain("'__complete'");
        assertThat(Completion.script(Completion.Shell.zsh)).as("zsh runs the bash script through bashcompinit")
                .isEqualTo(script).contains("bashcompinit");
    }

    @Test
    void completionForAnUnknownShellIsBadUsage() {
        CommandLine cli = Main.commandLine(new String[] {"completion", "tcsh"});
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err, true));
        assertThat(cli.execute("completion", "tcsh")).isEqualTo(2);
        assertThat(err.toString()).startsWith("banger: ").contains("expected one of [bash, zsh, fish]");
    }

    @Test
    void fishScriptCompletesGroupsVerbsOptionsAndNames() {
        String fish = Completion.script(Completion.Shell.fish);
        assertThat(fish).contains(
                "complete -c banger -n '__fish_use_subcommand' -a 'vm' -d 'Create, run and manage microVMs.'",
                "complete -c banger -n '__fish_seen_subcommand_from vm; and __fish_seen_subcommand_from show' -a '(__banger_names vms)'",
                "complete -c banger -n '__fish_seen_subcommand_from vm; and __fish_seen_subcommand_from create' -l image -x -a '(__banger_names images)'",
                "complete -c banger -n '__fish_seen_subcommand_from image; and __fish_seen_subcommand_from register' -l rootfs -r -F",
                "complete -c banger -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'",
                "-d 'SSH into a VM as root with banger\\'s key");
        assertThat(fish).doesNotContain("__complete'", "-a '__complete'");
    }

    @Test
    void nameCompletionWithoutADaemonPrintsNothingAndExitsZeroQuickly() {
        // the surefire BANGER_HOME is an empty home: no daemon there, and __complete must not start one
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        long start = System.nanoTime();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = Main.commandLine(new String[] {"__complete", "vms"}).execute("__complete", "vms");
        } finally {
            System.setOut(previous);
        }
        assertThat(exit).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(Completion.Names.TIMEOUT_MS);
        assertThat(Main.PATHS.daemonSocket()).as("no daemon was started").doesNotExist();
    }
}
