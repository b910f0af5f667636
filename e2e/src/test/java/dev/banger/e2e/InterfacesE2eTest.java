package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.banger.core.BangerPaths;
import dev.banger.core.rpc.RpcClient;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The RPC methods bangerd serves are exactly the ones docs/rpc.md documents. */
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
    }

    /**
     * A CLI AOT cache made before the jar was rebuilt used to serve the old classes (the JVM did not
     * notice), so new verbs were "unmatched arguments". The launcher now skips a cache older than the jar.
     */
    @Test
    void cliServesTheBuiltVerbsEvenWhenItsAotCacheIsOlderThanTheJar() throws Exception {
        java.nio.file.Path jar = Banger.ROOT.resolve("banger-cli/target/banger-cli.jar");
        java.nio.file.Path cache = Banger.ROOT.resolve("banger-cli/target/banger-cli.aot");
        if (Files.exists(cache)) {
            Files.setLastModifiedTime(cache, java.nio.file.attribute.FileTime.fromMillis(
                    Files.getLastModifiedTime(jar).toMillis() - 60_000));
        }
        String help = Banger.ok("image", "--help") + Banger.ok("kernel", "--help") + Banger.ok("vm", "--help");
        for (String verb : List.of("pull", "register", "import", "promote", "ssh")) {
            assertThat(help).contains("  " + verb + " ");
        }
    }
}
