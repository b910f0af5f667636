package dev.banger.roothelper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.roothelper.ops.HostCommands;
import dev.banger.roothelper.ops.ProcessCommands;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace of the test's own ({@code banger-t-<random>}); every kernel object the
 * operations create lives in it and dies with it. {@link #commands()} runs the operations' argv
 * inside it, so production code needs no test switch.
 */
final class TestNetns implements AutoCloseable {
    private static final Set<String> CREATED = ConcurrentHashMap.newKeySet();
    static final HostCommands HOST = new ProcessCommands();

    final String name;

    TestNetns() {
        byte[] random = new byte[5];
        ThreadLocalRandom.current().nextBytes(random);
        name = "banger-t-" + HexFormat.of().formatHex(random);
        host("ip", "netns", "add", name);
        CREATED.add(name);
        host("ip", "-n", name, "link", "set", "lo", "up");
    }

    HostCommands commands() {
        return (argv, stdin) -> {
            List<String> inside = new ArrayList<>(List.of("ip", "netns", "exec", name));
            inside.addAll(argv);
            return HOST.run(inside, stdin);
        };
    }

    /** Runs a command inside the namespace and returns its stdout; fails the test on a non-zero exit. */
    String run(String... argv) {
        HostCommands.CommandResult result = commands().run(List.of(argv), "");
        assertThat(result.exitCode()).as("%s: %s", String.join(" ", argv), result.stderr()).isZero();
        return result.stdout();
    }

    static String host(String... argv) {
        HostCommands.CommandResult result = HOST.run(List.of(argv), "");
        assertThat(result.exitCode()).as("%s: %s", String.join(" ", argv), result.stderr()).isZero();
        return result.stdout();
    }

    @Override
    public void close() {
        HOST.run(List.of("ip", "netns", "del", name), "");
    }

    /** For @AfterAll: none of the namespaces the tests made is left. */
    static void assertAllRemoved() {
        String left = HOST.run(List.of("ip", "netns", "list"), "").stdout();
        for (String name : CREATED) {
            assertThat(left).as("namespace %s left behind", name).doesNotContain(name);
        }
    }
}
