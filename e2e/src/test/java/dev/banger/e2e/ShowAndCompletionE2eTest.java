package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.BangerPaths;
import dev.banger.core.rpc.RpcClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code vm|image|kernel show}: a summary for people by default, with --json exactly the RPC record;
 * {@code banger completion}: the scripts, sourced in real shells, complete names from the daemon and
 * stay silent and quick when none runs.
 */
class ShowAndCompletionE2eTest extends BootingE2eTest {
    private static final Path BANGER = Banger.ROOT.resolve("bin/banger");

    private static synchronized void ensureVm() throws Exception {
        if (!Banger.ok("vm", "ls", "--json").contains("\"showme\"")) {
            Banger.ok("vm", "create", "--name", "showme", "--vcpu", "2", "--memory", "1G", "--no-start");
        }
    }

    /** The daemon's own answer for a method, straight over its socket: what --json must print. */
    private static JsonNode rpc(String method, Map<String, String> params) throws Exception {
        BangerPaths paths = BangerPaths.from(Map.of("BANGER_HOME", Banger.home().toString(), "HOME", "/nonexistent"));
        try (RpcClient c = RpcClient.connect(paths.daemonSocket())) {
            return c.call(method, params);
        }
    }

    @Test
    void vmShowIsASummaryAndVmShowJsonIsTheRpcRecord() throws Exception {
        ensureVm();
        JsonNode image = Banger.run("image", "show", "debian", "--json").json();
        String summary = Banger.ok("vm", "show", "showme");
        assertThatThrownBy(() -> dev.banger.core.Json.MAPPER.readTree(summary)).as("not JSON").isInstanceOf(Exception.class);
        List<String> lines = summary.lines().toList();
        assertThat(lines).allMatch(l -> l.matches("[a-z ]+: +\\S.*"), "every line is key: value");
        int valueColumn = lines.getFirst().indexOf("showme");
        assertThat(lines).as("values aligned").allMatch(l -> l.length() > valueColumn && l.charAt(valueColumn - 1) == ' '
                && l.charAt(valueColumn) != ' ');
        JsonNode json = Banger.run("vm", "show", "showme", "--json").json();
        assertThat(summary).containsPattern("(?m)^state: +" + json.path("state").asText() + "$").containsPattern("(?m)^vcpu: +2$")
                .containsPattern("(?m)^memory: +1\\.0 GiB$").containsPattern("(?m)^work disk: +2\\.0 GiB$")
                .containsPattern("(?m)^image: +debian \\(" + image.path("id").asText() + "\\)$")
                .containsPattern("(?m)^kernel: +" + image.path("kernel_ref").asText() + "$")
                .containsPattern("(?m)^guest ip: +\\d+\\.\\d+\\.\\d+\\.\\d+$").containsPattern("(?m)^network: +user \\(rootless\\)$").doesNotContainPattern("(?m)^dns name:")
                .containsPattern("(?m)^created: +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$")
                .doesNotContain("ssh:", "last error:");

        assertThat(json).isEqualTo(rpc("vm.show", Map.of("vm", "showme")));
        assertThat(json.path("spec").path("memory_mib").asInt()).isEqualTo(1024);
        assertThat(Banger.run("vm", "ls", "--json").json()).contains(json);
    }

    @Test
    void imageAndKernelShowAreSummariesAndTheirJsonIsTheRpcRecord() throws Exception {
        JsonNode image = Banger.run("image", "show", "debian", "--json").json();
        assertThat(image).isEqualTo(rpc("image.show", Map.of("image", "debian")));
        assertThat(Banger.ok("image", "show", "debian")).containsPattern("(?m)^name: +debian$")
                .containsPattern("(?m)^rootfs: +" + java.util.regex.Pattern.quote(image.path("rootfs_path").asText()) + "$")
                .containsPattern("(?m)^size: +[0-9.]+ (MiB|GiB)$");
        String kernelName = image.path("kernel_ref").asText();
        JsonNode kernel = Banger.run("kernel", "show", kernelName, "--json").json();
        assertThat(kernel).isEqualTo(rpc("kernel.show", Map.of("name", kernelName)));
        assertThat(Banger.ok("kernel", "show", kernelName)).containsPattern("(?m)^name: +" + kernelName + "$")
                .containsPattern("(?m)^version: +" + java.util.regex.Pattern.quote(kernel.path("kernel_version").asText()) + "$");
    }

    @Test
    void bashCompletionRegistersAndCompletesVmImageAndKernelNamesFromTheDaemon() throws Exception {
        ensureVm();
        String kernel = Banger.run("image", "show", "debian", "--json").json().path("kernel_ref").asText();
        assertThat(shell("bash", "source <(\"$BANGER\" completion bash) && complete -p banger").stdout())
                .contains("-F _complete_banger").contains(" banger");
        assertThat(bashCompletes("vm", "show", "")).containsExactly("showme");
        assertThat(bashCompletes("vm", "rm", "sh")).containsExactly("showme");
        assertThat(bashCompletes("vm", "create", "--image", "")).contains("debian");
        assertThat(bashCompletes("kernel", "show", "")).contains(kernel);
        assertThat(bashCompletes("vm", "s")).containsExactlyInAnyOrder("start", "stop", "ssh", "show", "stats");
        assertThat(Banger.ok("__complete", "vms")).isEqualTo("showme\n");
        assertThat(Banger.ok("__complete", "images")).contains("debian\n");
    }

    @Test
    void zshAndFishScriptsLoadInTheRealShells() throws Exception {
        ensureVm();
        // bin/install-deps installs both shells: on CI a missing one is a broken setup, not a reason to skip
        if (System.getenv("CI") != null) {
            assertThat(onPath("zsh")).as("zsh on PATH (bin/install-deps installs it)").isTrue();
            assertThat(onPath("fish")).as("fish on PATH (bin/install-deps installs it)").isTrue();
        }
        if (onPath("zsh")) {
            // bash's script under zsh's bashcompinit (the script turns it on itself)
            Banger.Result zsh = shell("zsh", "source <(\"$BANGER\" completion zsh) && print -r -- ${_comps[banger]}");
            assertThat(zsh.stdout()).as(zsh.stderr()).contains("_bash_complete").contains("_complete_banger");
        }
        if (onPath("fish")) {
            Banger.Result fish = shell("fish", "set PATH (dirname $BANGER) $PATH; \"$BANGER\" completion fish | source; "
                    + "complete -C 'banger vm show '; complete -C 'banger completion '");
            assertThat(fish.stdout().lines().toList()).as(fish.stderr()).contains("showme", "bash", "zsh", "fish");
        }
    }

    @Test
    void nameCompletionWithoutADaemonPrintsNothingExitsZeroQuicklyAndStartsNone() throws Exception {
        Banger.ok("daemon", "stop");
        long start = System.nanoTime();
        Banger.Result names = Banger.run("__complete", "vms");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(names.exit()).isZero();
        assertThat(names.stdout()).isEmpty();
        assertThat(names.stderr()).isEmpty();
        assertThat(ms).as("a JVM start, no waiting").isLessThan(2_000);
        assertThat(bashCompletes("vm", "show", "")).isEmpty();
        assertThat(Banger.daemonPid()).as("completion never starts bangerd").isEqualTo(-1);
    }

    /** What bash offers for {@code banger WORDS…} (the last word is the one being completed), through the generated script. */
    private static List<String> bashCompletes(String... words) throws Exception {
        StringBuilder array = new StringBuilder("\"$BANGER\"");
        for (String w : words) array.append(" '").append(w).append('\'');
        // compopt only works inside a completion bash itself runs: a no-op here, where the function is called directly.
        // The function's status is compgen's (1 when nothing matches), so it is not chained with &&.
        Banger.Result r = shell("bash", "compopt() { :; }; source <(\"$BANGER\" completion bash) || exit 9; COMP_WORDS=(" + array
                + "); COMP_CWORD=" + (words.length) + "; _complete_banger; printf '%s\\n' \"${COMPREPLY[@]}\"");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).as("nothing spilled into the shell").isEmpty();
        return r.stdout().lines().filter(l -> !l.isEmpty()).toList();
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) return true;
        }
        return false;
    }

    /** Runs a script in a real shell with this home's BANGER_HOME and $BANGER set to the CLI. */
    private static Banger.Result shell(String shell, String script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(shell, "-c", script);
        pb.environment().put("BANGER_HOME", Banger.home().toString());
        pb.environment().put("BANGER", BANGER.toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        var out = p.getInputStream();
        var err = p.getErrorStream();
        var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(err.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        String stdout = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(shell + " timed out: " + script);
        }
        return new Banger.Result(p.exitValue(), stdout, stderr.get());
    }
}
