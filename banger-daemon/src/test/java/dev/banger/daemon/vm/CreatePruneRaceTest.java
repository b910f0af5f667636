package dev.banger.daemon.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.banger.core.ProgressSink;
import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import dev.banger.daemon.DaemonConfig;
import dev.banger.daemon.image.Images;
import dev.banger.daemon.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression (issue 8.11): {@code vm create} reserved the VM's row before taking the VM's lock, so a
 * {@code vm prune} in between removed the row and directory of a VM that create then went on with.
 * The progress report right after the reservation is where create pauses here, with prune running.
 */
class CreatePruneRaceTest {
    @TempDir Path home;

    @Test
    void pruneDuringCreateNeverRemovesAVmThatCreateStillWorksOn() throws Exception {
        Store store = new Store(home.resolve("banger.db"));
        ImageRecord image = new ImageRecord("img0", "base", home.resolve("base.ext4").toString(), "k", "test", 0,
                Instant.now(), null);
        Images images = new FixedImages(image, null);
        VmService vms = new VmService(Files.createDirectories(home.resolve("vms")), home.resolve("run"),
                DaemonConfig.load(home.resolve("none.toml"), Map.of()), store, images,
                new dev.banger.daemon.vmm.QemuVmm("qemu-system-x86_64", 2_000_000), null, null,
                new GuestAgents(), null, null, null, CrashPoints.NONE,
                new dev.banger.daemon.host.InProcessHostOperations(), List.of(new SshForward()),
                new GuestNetworks(DaemonConfig.load(home.resolve("none.toml"), Map.of()), null));

        AtomicReference<List<VmRecord>> pruned = new AtomicReference<>();
        AtomicReference<Thread> pruner = new AtomicReference<>();
        ProgressSink pauseAfterReservation = (stage, detail) -> {
            if (!stage.equals("reserve_vm")) return;
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    pruned.set(vms.prune());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            pruner.set(t);
            // Let prune either finish (the bug) or block on the VM's lock (the fix) before create goes on.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (t.isAlive() && t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) Thread.onSpinWait();
        };

        VmRecord created = vms.create(new dev.banger.core.api.VmCreateParams("racer", null, null, null, null, true, false),
                pauseAfterReservation);
        pruner.get().join();

        Optional<VmRecord> row = store.vmById(created.id());
        boolean dirExists = Files.isDirectory(home.resolve("vms").resolve(created.id()));
        assertThat(row.isPresent()).as("row and directory agree (row present: %s, dir present: %s)", row.isPresent(), dirExists)
                .isEqualTo(dirExists);
        // prune ran after create finished with the VM, so it removed a whole, stopped VM
        assertThat(pruned.get()).extracting(VmRecord::id).containsExactly(created.id());
        store.close();
    }
}
