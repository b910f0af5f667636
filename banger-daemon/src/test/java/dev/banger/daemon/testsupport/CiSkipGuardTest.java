package dev.banger.daemon.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** The guard's decision: which aborts stand on CI, and what the allow-list may contain. */
class CiSkipGuardTest {
    private static final TestAbortedException ABORT = new TestAbortedException("Assumption failed: not root");
    private final List<CiSkipGuard.Entry> allowed = CiSkipGuard.parse(List.of(
            "# comment", "", "dev.banger.e2e.DmSnapshotE2eTest  device-mapper", "dev.banger.e2e.KvmE2eTest#bootsUnderKvm KVM"));

    @Test
    void offCiEveryAbortStands() {
        assertThat(CiSkipGuard.refusal(false, List.of(), "a.B", "m", ABORT)).isEmpty();
    }

    @Test
    void onCiAnAbortNotOnTheListBecomesAFailureThatKeepsTheReason() {
        var failure = CiSkipGuard.refusal(true, allowed, "dev.banger.daemon.image.build.LayersVsUmociTest", "flattens", ABORT);
        assertThat(failure).isPresent();
        assertThat(failure.get()).hasMessageContaining("not root").hasMessageContaining("LayersVsUmociTest#flattens")
                .hasMessageContaining("ci-allowed-skips.txt").hasCause(ABORT);
    }

    @Test
    void onCiAListedClassOrMethodMayAbort() {
        assertThat(CiSkipGuard.refusal(true, allowed, "dev.banger.e2e.DmSnapshotE2eTest", "anything", ABORT)).isEmpty();
        assertThat(CiSkipGuard.refusal(true, allowed, "dev.banger.e2e.DmSnapshotE2eTest", null, ABORT)).as("@BeforeAll").isEmpty();
        assertThat(CiSkipGuard.refusal(true, allowed, "dev.banger.e2e.KvmE2eTest", "bootsUnderKvm", ABORT)).isEmpty();
        assertThat(CiSkipGuard.refusal(true, allowed, "dev.banger.e2e.KvmE2eTest", "otherMethod", ABORT)).isPresent();
        assertThat(CiSkipGuard.refusal(true, allowed, "dev.banger.e2e.KvmE2eTest", null, ABORT)).as("a method entry does not cover the class").isPresent();
    }

    @Test
    void failuresAndErrorsPassThroughUntouched() {
        assertThat(CiSkipGuard.refusal(true, List.of(), "a.B", "m", new AssertionError("real failure"))).isEmpty();
        assertThat(CiSkipGuard.refusal(true, List.of(), "a.B", "m", new IllegalStateException())).isEmpty();
    }

    @Test
    void anEntryWithoutAnAcceptedReasonIsRefused() {
        assertThatThrownBy(() -> CiSkipGuard.parse(List.of("a.B flaky"))).hasMessageContaining("needs one of the reasons");
        assertThatThrownBy(() -> CiSkipGuard.parse(List.of("a.B"))).hasMessageContaining("needs one of the reasons");
    }

    @Test
    void theShippedAllowListParses() throws Exception {
        try (var in = getClass().getResourceAsStream("/" + CiSkipGuard.ALLOW_LIST)) {
            assertThat(in).isNotNull();
            List<CiSkipGuard.Entry> shipped = CiSkipGuard.parse(new String(in.readAllBytes()).lines().toList());
            assertThat(shipped).allSatisfy(e -> assertThat(CiSkipGuard.ACCEPTED_REASONS).contains(e.reason()));
        }
    }
}
