package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Four `banger vm create` processes at once: all boot, with distinct names and addresses. */
class ParallelCreateE2eTest extends BootingE2eTest {
    @Test
    void fourParallelCreatesAllSucceed() throws Exception {
        List<Future<Banger.Result>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 4; i++) {
                String name = "par-" + i;
                results.add(pool.submit(() -> Banger.run("vm", "create", "--name", name, "--json")));
            }
        }
        Set<String> ips = new HashSet<>();
        for (Future<Banger.Result> f : results) {
            Banger.Result r = f.get();
            assertThat(r.exit()).as(r.stderr()).isZero();
            JsonNode vm = r.json();
            assertThat(vm.path("state").asText()).isEqualTo("running");
            ips.add(vm.path("runtime").path("guest_ip").asText());
        }
        assertThat(ips).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(Banger.ok("vm", "exec", "par-" + i, "--", "hostname").strip()).isEqualTo("par-" + i);
        }
    }
}
