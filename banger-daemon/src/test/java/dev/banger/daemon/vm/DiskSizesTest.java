package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmSpec;
import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The size rules: how sizes are read, that a root holds its image, and that disks only grow. */
class DiskSizesTest {
    private static final ImageRecord IMAGE = new ImageRecord("i", "debian", "/x/rootfs.ext4", "k", "t", 334_495_744L, Instant.now(), null);

    @Test
    void sizesAreReadLikeDiskSizeAndRoundedUpToAWholeMib() {
        assertThat(DiskSizes.parse("root size", "8G")).isEqualTo(8L << 30);
        assertThat(DiskSizes.parse("root size", "1.5GiB")).isEqualTo(3L << 29);
        assertThat(DiskSizes.parse("root size", "1")).isEqualTo(1L << 20);
        assertThat(DiskSizes.parse("root size", "1048577")).isEqualTo(2L << 20);
        assertThatThrownBy(() -> DiskSizes.parse("root size", "-1G")).isInstanceOf(RpcException.class)
                .hasMessageStartingWith("root size: ")
                .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(RpcErrors.INVALID_PARAMS));
    }

    @Test
    void aRootMustHoldItsImage() {
        assertThatCode(() -> DiskSizes.checkRootFits(334_495_744L, IMAGE)).doesNotThrowAnyException();
        assertThatThrownBy(() -> DiskSizes.checkRootFits(334_495_743L, IMAGE)).isInstanceOf(RpcException.class)
                .hasMessageContaining("smaller than image debian").hasMessageContaining("use at least 319.0 MiB")
                .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(RpcErrors.INVALID_PARAMS));
    }

    @Test
    void aVmFromBeforeRootSizesHasItsImagesSize() {
        assertThat(DiskSizes.rootBytes(new VmSpec(1, 512, 1L << 30), IMAGE)).isEqualTo(IMAGE.sizeBytes());
        assertThat(DiskSizes.rootBytes(new VmSpec(1, 512, 1L << 30, List.of(), 8L << 30), IMAGE)).isEqualTo(8L << 30);
    }

    @Test
    void disksOnlyGrowAndTheRefusalSaysWhy() {
        assertThatCode(() -> DiskSizes.checkGrowth("root disk", 8L << 30, 8L << 30)).as("the same size is no change")
                .doesNotThrowAnyException();
        assertThatCode(() -> DiskSizes.checkGrowth("root disk", 8L << 30, 9L << 30)).doesNotThrowAnyException();
        assertThatThrownBy(() -> DiskSizes.checkGrowth("work disk", 2L << 30, 1L << 30)).isInstanceOf(RpcException.class)
                .hasMessage("cannot shrink the work disk from 2.0 GiB to 1.0 GiB: disks only grow "
                        + "(shrinking would cut off the end of its filesystem)")
                .satisfies(e -> assertThat(((RpcException) e).code()).isEqualTo(RpcErrors.INVALID_PARAMS));
    }
}
