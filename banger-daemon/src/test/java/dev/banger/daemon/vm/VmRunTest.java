package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.api.VmCreateParams;
import dev.banger.core.api.VmRunParams;
import dev.banger.core.model.PortForward;
import dev.banger.core.rpc.RpcException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What vm.run hands to create: the caller's create params, booted, with nothing dropped on the way. */
class VmRunTest {
    private static VmRunParams run(VmCreateParams create, boolean rm) {
        return new VmRunParams(create, List.of("true"), null, false, null, null, rm);
    }

    @Test
    void runWithPublishKeepsItsPortForwards() {
        List<PortForward> forwards = List.of(PortForward.parse("8080:80"), PortForward.parse("127.0.0.1:5353:53/udp"));
        VmCreateParams asked = new VmCreateParams("web", "debian", 2, 1024, "4G", false, false, forwards);

        VmCreateParams created = VmRun.createParams(run(asked, false));

        assertThat(created).isEqualTo(asked);
        assertThat(created.portForwards()).containsExactlyElementsOf(forwards);
    }

    @Test
    void rmAlsoRemovesAVmWhoseBootFailed() {
        VmCreateParams asked = new VmCreateParams("web", null, null, null, null, false, false, List.of(PortForward.parse("8080:80")));
        VmCreateParams created = VmRun.createParams(run(asked, true));
        assertThat(created.removeOnFailure()).isTrue();
        assertThat(created.portForwards()).isEqualTo(asked.portForwards());
    }

    @Test
    void noStartIsRefusedAndNoCreateParamsMeansTheDefaults() {
        assertThatThrownBy(() -> VmRun.createParams(run(new VmCreateParams(null, null, null, null, null, true, false), false)))
                .isInstanceOf(RpcException.class).hasMessageContaining("no_start");
        assertThat(VmRun.createParams(run(null, false))).isEqualTo(new VmCreateParams(null, null, null, null, null, false, false));
    }
}
