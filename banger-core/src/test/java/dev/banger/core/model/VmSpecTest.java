package dev.banger.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The spec as the store's JSON column holds it: a row from before root sizes existed still reads. */
class VmSpecTest {
    @Test
    void aRowWithoutARootSizeReadsAsTheImagesSizeAndKeepsItsShape() throws Exception {
        String old = "{\"vcpu\":1,\"memory_mib\":512,\"work_disk_bytes\":2147483648}";
        VmSpec spec = Json.MAPPER.readValue(old, VmSpec.class);
        assertThat(spec.rootDiskBytes()).as("0: the image's own size").isZero();
        assertThat(Json.MAPPER.writeValueAsString(spec)).isEqualTo(old);
    }

    @Test
    void aRootSizeIsWrittenAndReadBackAndSurvivesTheOtherWithers() throws Exception {
        VmSpec spec = new VmSpec(2, 1024, 4L << 30, List.of(), 8L << 30);
        assertThat(Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(spec)).path("root_disk_bytes").asLong()).isEqualTo(8L << 30);
        assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(spec), VmSpec.class)).isEqualTo(spec);
        assertThat(spec.withPortForwards(List.of(PortForward.parse("8080:80"))).rootDiskBytes()).isEqualTo(8L << 30);
        assertThat(spec.withDiskSizes(9L << 30, 5L << 30)).isEqualTo(new VmSpec(2, 1024, 5L << 30, List.of(), 9L << 30));
    }
}
