package dev.banger.daemon;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/** bangerd's own logback.xml (not the tests' one): bangerd.log must not grow without bound. */
class DaemonLogRotationTest {
    @TempDir
    Path tmp;

    @Test
    void aDaemonThatLogs50MibKeepsAtMostFourFilesOfAboutTenMib() throws Exception {
        Path log = tmp.resolve("bangerd.log");
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        try {
            context.putProperty("BANGER_LOG_FILE", log.toString());
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            URL main = Bangerd.class.getClassLoader().getResource("logback.xml");
            assertThat(main).as("the daemon's logback.xml on the class path").isNotNull();
            configurator.doConfigure(main);
            Logger logger = context.getLogger("bangerd");
            String line = "x".repeat(1000);
            for (int i = 0; i < 50_000; i++) {
                logger.info("{} {}", i, line);
                // The size check is time-gated; a real daemon never logs 50 MiB in a burst.
                if (i % 2_000 == 0) Thread.sleep(300);
            }
        } finally {
            context.stop();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(tmp)) {
            files = s.sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("bangerd.log", "bangerd.log.1", "bangerd.log.2", "bangerd.log.3");
        long total = 0;
        for (Path f : files) {
            assertThat(Files.size(f)).as(f.toString()).isLessThan(12L << 20);
            total += Files.size(f);
        }
        assertThat(total).isLessThan(45L << 20);
        assertThat(Files.readString(log)).contains("49999 ");
    }

}
