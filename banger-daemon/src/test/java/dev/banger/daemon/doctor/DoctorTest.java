package dev.banger.daemon.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.DoctorCheckResult;
import dev.banger.core.api.DoctorReport;
import dev.banger.core.api.DoctorStatus;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.util.List;
import org.junit.jupiter.api.Test;

class DoctorTest {
    private record Fixed(String name, Finding finding, long sleepMs) implements Check {
        @Override
        public Finding run(HostProbe host) {
            try {
                Thread.sleep(sleepMs);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return finding;
        }
    }

    private record Throws(String name) implements Check {
        @Override
        public Finding run(HostProbe host) {
            throw new IllegalStateException("boom");
        }
    }

    @Test
    void resultsComeInRegistrationOrderAndACrashingCheckFailsAlone() throws Exception {
        DoctorReport r = new Doctor(List.of(new Fixed("slow", Finding.ok("s", null), 200), new Throws("broken"),
                new Fixed("fast", Finding.warn("f", "d", "fix it"), 0)), new FakeProbe()).run();
        assertThat(r.checks()).extracting(DoctorCheckResult::name).containsExactly("slow", "broken", "fast");
        assertThat(r.checks().get(1).status()).isEqualTo(DoctorStatus.FAIL);
        assertThat(r.checks().get(1).summary()).contains("the check itself failed").contains("boom");
        assertThat(r.checks().get(2)).isEqualTo(new DoctorCheckResult("fast", DoctorStatus.WARN, "f", "d", "fix it"));
        assertThat(r.passed()).isFalse();
    }

    /** Checks wait on commands; run one after the other, ten 300 ms checks would take 3 s. */
    @Test
    void checksRunInParallel() throws Exception {
        List<Check> slow = java.util.stream.IntStream.range(0, 10).<Check>mapToObj(i -> new Fixed("c" + i, Finding.ok("", null), 300)).toList();
        DoctorReport r = new Doctor(slow, new FakeProbe()).run();
        assertThat(r.elapsedMillis()).isLessThan(1500);
        assertThat(r.passed()).isTrue();
    }

    @Test
    void theCreatePreflightNamesTheFailedCheckAndItsFix() {
        Doctor noQemu = new Doctor(List.of(new VmmDriverCheck("qemu", "qemu-system-x86_64")), new FakeProbe());
        assertThatThrownBy(noQemu::requireNoFailure).isInstanceOfSatisfying(RpcException.class, e -> {
            assertThat(e.code()).isEqualTo(RpcErrors.FAILED);
            assertThat(e.getMessage()).isEqualTo("cannot create a VM: doctor check vmm_driver failed: QEMU (qemu-system-x86_64) not found:"
                    + " no VM can start (fix: " + VmmDriverCheck.QEMU_FIX + "); run banger doctor for details");
        });
    }
}
