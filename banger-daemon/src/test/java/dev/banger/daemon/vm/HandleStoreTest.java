package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk ahead of memory (docs/architecture.md, Crash safety): handles.json is written (by rename)
 * before the cache learns anything, so a failed write leaves the cache as it was; and reading the
 * file back after a crash never throws, whatever state the crash left it in.
 */
class HandleStoreTest {
    @TempDir
    Path vmDir;

    private final HandleStore store = new HandleStore();
    private final VmHandles first = new VmHandles(4242, "qemu", "/run/vms/a/qmp.sock", "/run/vms/a/agent.sock");
    private final VmHandles second = new VmHandles(4343, "qemu", "/run/vms/a/qmp.sock", "/run/vms/a/agent.sock");

    @Test
    void setWritesTheFileAndThenTheCache() throws IOException {
        store.set("a", vmDir, first);
        assertThat(HandleStore.readFile(vmDir)).contains(first);
        assertThat(store.cached("a")).contains(first);
        assertThat(vmDir.resolve(HandleStore.FILE + ".tmp")).doesNotExist();
    }

    @Test
    void aFailedWriteLeavesTheCacheUntouched() throws IOException {
        Path missingDir = vmDir.resolve("gone");
        assertThatThrownBy(() -> store.set("a", missingDir, first)).isInstanceOf(IOException.class);
        assertThat(store.cached("a")).as("memory must never be ahead of disk").isEmpty();

        store.set("b", vmDir, first);
        // The rename cannot replace a directory standing where the tmp file goes: the write fails.
        Files.createDirectory(vmDir.resolve(HandleStore.FILE + ".tmp"));
        Files.writeString(vmDir.resolve(HandleStore.FILE + ".tmp").resolve("blocker"), "x");
        assertThatThrownBy(() -> store.set("b", vmDir, second)).isInstanceOf(IOException.class);
        assertThat(store.cached("b")).contains(first);
        assertThat(HandleStore.readFile(vmDir)).contains(first);
    }

    @Test
    void readFileOfAMissingFileIsEmpty() {
        assertThat(HandleStore.readFile(vmDir)).isEmpty();
        assertThat(HandleStore.readFile(vmDir.resolve("no-such-vm"))).isEmpty();
    }

    @Test
    void readFileOfATornOrForeignFileIsEmptyNotAnError() throws IOException {
        store.set("a", vmDir, first);
        byte[] whole = Files.readAllBytes(vmDir.resolve(HandleStore.FILE));
        for (int cut : new int[] {0, 1, whole.length / 2, whole.length - 1}) {
            Files.write(vmDir.resolve(HandleStore.FILE), java.util.Arrays.copyOf(whole, cut));
            assertThat(HandleStore.readFile(vmDir)).as("cut at %d of %d bytes", cut, whole.length).isEmpty();
        }
        Files.writeString(vmDir.resolve(HandleStore.FILE), "[1, 2, 3]");
        assertThat(HandleStore.readFile(vmDir)).isEmpty();
    }

    @Test
    void aStaleTmpFileFromACrashedWriteDoesNotHideTheLastGoodFile() throws IOException {
        store.set("a", vmDir, first);
        Files.writeString(vmDir.resolve(HandleStore.FILE + ".tmp"), "{\"pid\": 99");   // crash mid-write
        assertThat(HandleStore.readFile(vmDir)).contains(first);
        store.set("a", vmDir, second);
        assertThat(HandleStore.readFile(vmDir)).contains(second);
    }

    @Test
    void clearRemovesBothAndSeedOnlyTheCache() throws IOException {
        store.set("a", vmDir, first);
        store.clear("a", vmDir);
        assertThat(store.cached("a")).isEmpty();
        assertThat(vmDir.resolve(HandleStore.FILE)).doesNotExist();
        store.seed("a", second);
        assertThat(store.cached("a")).contains(second);
        assertThat(HandleStore.readFile(vmDir)).isEmpty();
    }
}
