package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.core.rpc.RpcErrors;
import dev.banger.core.rpc.RpcException;
import org.junit.jupiter.api.Test;

/** vm.cp's guest paths reach the guest's script as the caller wrote them, normalised, or not at all. */
class GuestCopyTest {
    @Test
    void guestPathsAreAbsoluteAndNormal() {
        assertThat(GuestCopy.guestPath("/a/./b//c/")).isEqualTo("/a/b/c");
        assertThat(GuestCopy.guestPath("/")).isEqualTo("/");
        for (String bad : new String[] {"", "rel/path", "/a/../etc", "/a\nb"}) {
            assertThatThrownBy(() -> GuestCopy.guestPath(bad)).as(bad).isInstanceOfSatisfying(RpcException.class,
                    e -> assertThat(e.code()).isEqualTo(RpcErrors.INVALID_PARAMS));
        }
    }

    @Test
    void theScriptTakesPathsAsArgumentsNotAsShellText() {
        assertThat(GuestCopy.unpack("/root/$(reboot)", "x y").subList(0, 3)).containsExactly(GuestCopy.BUSYBOX, "sh", "-c");
        assertThat(GuestCopy.unpack("/root/$(reboot)", "x y").subList(4, 7)).containsExactly("sh", "/root/$(reboot)", "x y");
        assertThat(GuestCopy.pack("/etc", true).getLast()).isEqualTo("1");
        assertThatThrownBy(() -> GuestCopy.entryName("a/b")).isInstanceOf(RpcException.class);
        assertThatThrownBy(() -> GuestCopy.entryName("..")).isInstanceOf(RpcException.class);
        assertThat(GuestCopy.entryName(null)).isNull();
    }
}
