package dev.banger.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code banger doctor --json} on the CI host, whose facts are known (docs/../HOST-NOTES): /dev/kvm is
 * PVM, so a probe boot of the stock kernel fails and TCG is used; the kernel has no device-mapper;
 * nft is installed. The probe verdict is cached, so a second doctor answers within 3 s. And a
 * create on a bangerd whose QEMU is missing is refused by the preflight, naming the doctor check.
 */
class DoctorE2eTest {
    @BeforeAll
    static void freshHome() throws Exception {
        Banger.useFreshHome(DoctorE2eTest.class.getSimpleName());
        SharedImage.ensure();  // a kernel, so the accelerator check has something to probe
    }

    @AfterAll
    static void cleanUp() throws Exception {
        Banger.cleanUp();
    }

    private static Map<String, JsonNode> byName(JsonNode report) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        for (JsonNode c : report.path("checks")) m.put(c.path("name").asText(), c);
        return m;
    }

    @Test
    void doctorStatesThisHostsKnownFactsAndASecondRunTakesUnderThreeSeconds() throws Exception {
        Banger.Result first = Banger.run("doctor", "--json");  // may wait for the KVM probe boot (up to 10 s)
        assertThat(first.exit()).as(first.stderr() + first.stdout()).isZero();
        long start = System.nanoTime();
        Banger.Result second = Banger.run("doctor", "--json");
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(second.exit()).as(second.stderr()).isZero();
        assertThat(wallMillis).as("second doctor, CLI start included").isLessThan(3000);
        assertThat(second.json().path("elapsed_millis").asLong()).isLessThan(3000);

        Map<String, JsonNode> checks = byName(second.json());
        assertThat(checks.keySet()).containsExactly("accelerator", "vmm_driver", "vhost_vsock", "device_mapper", "tun", "bridge", "veth",
                "loop", "nftables", "ip_forward", "forward_policy", "subnet", "leftovers", "state_space", "image_builds", "root_helper", "dns");
        JsonNode accel = checks.get("accelerator");
        assertThat(accel.path("status").asText()).isEqualTo("warn");
        assertThat(accel.path("summary").asText()).startsWith("TCG will be used: /dev/kvm opens but a probe boot of")
                .contains("did not reach its initramfs").contains("about 2 s");
        assertThat(accel.path("detail").asText()).contains("kvm_pvm loaded");
        JsonNode dm = checks.get("device_mapper");
        assertThat(dm.path("status").asText()).isEqualTo("warn");
        assertThat(dm.path("summary").asText()).startsWith("not available in this kernel").contains("qcow2");
        assertThat(checks.get("nftables").path("status").asText()).isEqualTo("ok");
        assertThat(checks.get("nftables").path("summary").asText()).startsWith("present: nftables v");
        assertThat(checks.get("vmm_driver").path("summary").asText()).startsWith("QEMU driver: QEMU emulator version");
        assertThat(checks.get("root_helper").path("summary").asText()).startsWith("not installed: VMs use rootless networking");
        // The same verdict the start uses: a VM booted here runs under TCG.
        assertThat(first.json().path("checks").get(0)).isEqualTo(accel);

        String text = Banger.ok("doctor");
        assertThat(text.lines().filter(l -> !l.startsWith(" ")).toList()).hasSize(checks.size());
        assertThat(text).contains("warn  device_mapper ");
    }

    @Test
    void aCreateOnABangerdWithoutQemuIsRefusedNamingTheDoctorCheckAndItsFix() throws Exception {
        Banger.run("daemon", "stop");
        Map<String, String> noQemu = Map.of("BANGER_QEMU", "/nonexistent/qemu-system-x86_64");
        try {
            Banger.Result create = Banger.run(noQemu, Duration.ofMinutes(2), "vm", "create", "--name", "nope");
            assertThat(create.exit()).as(create.stderr()).isEqualTo(1);
            assertThat(create.stderr()).isEqualTo("banger: cannot create a VM: doctor check vmm_driver failed: QEMU"
                    + " (/nonexistent/qemu-system-x86_64) not found: no VM can start"
                    + " (fix: sudo apt-get install --no-install-recommends qemu-system-x86 qemu-utils); run banger doctor for details\n");
            assertThat(dev.banger.core.Json.MAPPER.readTree(Banger.ok("vm", "ls", "--json"))).as("nothing was reserved").isEmpty();
            Banger.Result doctor = Banger.run(noQemu, Duration.ofMinutes(1), "doctor");
            assertThat(doctor.exit()).isEqualTo(1);
            assertThat(doctor.stdout()).contains("fail  vmm_driver ");
        } finally {
            Banger.run("daemon", "stop");
        }
    }
}
