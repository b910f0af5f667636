package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.BangerPaths;
import dev.banger.core.api.Method;
import dev.banger.core.api.Methods;
import dev.banger.core.rpc.RpcClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RPC methods bangerd serves are exactly the ones docs/rpc.md documents and banger-core types; exit statuses. */
class InterfacesE2eTest {
    @org.junit.jupiter.api.BeforeAll
    static void freshHome() throws Exception {
        Banger.useFreshHome(InterfacesE2eTest.class.getSimpleName());
    }

    @AfterAll
    static void cleanUp() throws Exception {
        Banger.cleanUp();
    }

    @Test
    void everyRpcMethodIsDocumentedAndEveryDocumentedMethodExists() throws Exception {
        Banger.ok("vm", "ls");  // starts bangerd on demand
        TreeSet<String> served = new TreeSet<>();
        BangerPaths paths = BangerPaths.from(Map.of("BANGER_HOME", Banger.home().toString(), "HOME", "/nonexistent"));
        try (RpcClient c = RpcClient.connect(paths.daemonSocket())) {
            for (JsonNode n : c.call("rpc.methods", Map.of())) served.add(n.asText());
        }
        String doc = Files.readString(Banger.ROOT.resolve("docs/rpc.md"));
        Matcher m = Pattern.compile("(?m)^### `([a-z.]+)`$").matcher(doc);
        List<String> documented = new ArrayList<>();
        while (m.find()) documented.add(m.group(1));
        assertThat(documented).doesNotHaveDuplicates();
        assertThat(new TreeSet<>(documented)).isEqualTo(served);
        // and each has its params and result record in banger-core, whose golden JSON docs/rpc.md shows (RpcGoldenTest)
        assertThat(new TreeSet<>(Methods.ALL.stream().map(Method::name).toList())).isEqualTo(served);
    }

    /** Regression (issue 9): every refusal exited 1; docs/cli.md now gives each kind of error its own status. */
    @Test
    void badInputExitsTwoAndNotFoundExitsFourWithOneLine() throws Exception {
        Banger.Result invalid = Banger.run("vm", "create", "--vcpu", "0", "--no-start");
        assertThat(invalid.exit()).as(invalid.stderr()).isEqualTo(2);
        assertThat(invalid.stderr()).isEqualTo("banger: vcpu must be a positive integer\n");
        Banger.Result badName = Banger.run("vm", "create", "--name", "Not_A_Label", "--no-start");
        assertThat(badName.exit()).as(badName.stderr()).isEqualTo(2);
        Banger.Result notFound = Banger.run("vm", "show", "ghost");
        assertThat(notFound.exit()).as(notFound.stderr()).isEqualTo(4);
        assertThat(notFound.stderr()).isEqualTo("banger: no such vm: ghost\n");
        Banger.Result noKernel = Banger.run("kernel", "show", "ghost");
        assertThat(noKernel.exit()).as(noKernel.stderr()).isEqualTo(4);
    }

    /**
     * Regression: a CLI AOT cache made from an older jar served the old classes after the jar was
     * rebuilt (the JVM does not notice: measured with JDK 25, a cache trained on a jar whose Main
     * printed "old banger" kept printing it after the jar was replaced). The launcher now skips a cache
     * older than the jar. This builds exactly that situation in a scratch copy of the launcher: a
     * cache trained on an older jar (a stub Main), then the real jar written over it.
     */
    @Test
    void cliServesTheBuiltVerbsEvenWhenItsAotCacheWasTrainedOnAnOlderJar(@TempDir Path root)
            throws Exception {
        Path bin = Files.createDirectories(root.resolve("bin"));
        for (String script : List.of("banger", "env.sh")) {
            Files.copy(Banger.ROOT.resolve("bin").resolve(script), bin.resolve(script), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path target = Files.createDirectories(root.resolve("banger-cli/target"));
        Path jar = target.resolve("banger-cli.jar");
        Path cache = target.resolve("banger-cli.aot");
        String javaBin = System.getProperty("java.home") + "/bin/java";

        // the older jar: a Main that knows no verbs
        Path src = Files.createDirectories(root.resolve("old-src/dev/banger/cli")).resolve("Main.java");
        Files.writeString(src, "package dev.banger.cli; public class Main { public static void main(String[] a) {"
                + " System.out.println(\"old banger\"); } }");
        Path classes = Files.createDirectories(root.resolve("old-classes"));
        assertThat(javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), src.toString()))
                .isZero();
        try (var out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("dev/banger/cli/Main.class"));
            out.write(Files.readAllBytes(classes.resolve("dev/banger/cli/Main.class")));
        }
        ProcessBuilder train = new ProcessBuilder(javaBin, "-XX:AOTCacheOutput=" + cache, "-Xlog:aot=error,cds=error",
                "-cp", jar.toString(), "dev.banger.cli.Main").redirectErrorStream(true);
        train.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = train.start();
        assertThat(new String(p.getInputStream().readAllBytes())).contains("old banger");
        assertThat(p.waitFor()).isZero();
        assertThat(cache).exists();

        // the rebuild: the real jar written over the old one, the cache left as it was
        Thread.sleep(1100);  // the launcher compares modification times (1 s resolution on some filesystems)
        Files.copy(Banger.ROOT.resolve("banger-cli/target/banger-cli.jar"), jar, StandardCopyOption.REPLACE_EXISTING);
        Path lib = Files.createDirectories(target.resolve("lib"));  // the jar's manifest Class-Path
        try (var deps = Files.list(Banger.ROOT.resolve("banger-cli/target/lib"))) {
            for (Path dep : deps.toList()) Files.copy(dep, lib.resolve(dep.getFileName()));
        }

        ProcessBuilder help = new ProcessBuilder(bin.resolve("banger").toString(), "vm", "--help").redirectErrorStream(true);
        help.environment().put("BANGER_HOME", Banger.home().toString());
        Process h = help.start();
        String printed = new String(h.getInputStream().readAllBytes());
        assertThat(h.waitFor()).as(printed).isZero();
        assertThat(printed).doesNotContain("old banger");
        for (String verb : List.of("run", "exec", "ssh", "rm", "prune")) {
            assertThat(printed).contains("  " + verb + " ");
        }
    }
}
