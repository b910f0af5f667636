package dev.banger.daemon.host;

import dev.banger.daemon.fs.FileTrees;
import dev.banger.daemon.vmm.MachineSpec;
import dev.banger.daemon.vmm.ProcessIdentity;
import dev.banger.daemon.vmm.Vmm;
import dev.banger.daemon.vmm.VmmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Host operations run by bangerd itself, as the owner user (rootless mode). */
public final class InProcessHostOperations implements HostOperations {
    @Override
    public long launchVmm(Vmm driver, MachineSpec spec) throws IOException {
        return driver.launch(spec);
    }

    @Override
    public boolean killVmm(VmmProcess process) throws InterruptedException {
        return ProcessIdentity.kill(process.pid(), process.marker());
    }

    @Override
    public boolean terminateVmm(VmmProcess process, Duration grace) throws InterruptedException {
        return ProcessIdentity.terminate(process.pid(), process.marker(), grace);
    }

    @Override
    public void removeRuntimeFile(Path path) throws IOException {
        Files.deleteIfExists(path);
    }

    @Override
    public void deleteVmDir(Path vmDir) throws IOException {
        FileTrees.deleteRecursively(vmDir);
    }
}
