package dev.banger.core.api;

import dev.banger.core.model.ImageRecord;
import dev.banger.core.model.VmRecord;
import java.util.List;

/** Every RPC method bangerd serves, with its params and result types (docs/rpc.md documents each). */
public final class Methods {
    public static final Method<VmCreateParams, VmRecord> VM_CREATE = Method.of("vm.create", VmCreateParams.class, VmRecord.class);
    public static final Method<VmRunParams, ExecResult> VM_RUN = Method.of("vm.run", VmRunParams.class, ExecResult.class);
    public static final Method<VmRef, VmRecord> VM_START = Method.of("vm.start", VmRef.class, VmRecord.class);
    public static final Method<VmStopParams, VmRecord> VM_STOP = Method.of("vm.stop", VmStopParams.class, VmRecord.class);
    public static final Method<VmRef, VmRecord> VM_KILL = Method.of("vm.kill", VmRef.class, VmRecord.class);
    public static final Method<VmStopParams, VmRecord> VM_RESTART = Method.of("vm.restart", VmStopParams.class, VmRecord.class);
    public static final Method<VmRmParams, VmRecord> VM_RM = Method.of("vm.rm", VmRmParams.class, VmRecord.class);
    public static final Method<NoParams, VmPruneResult> VM_PRUNE = Method.of("vm.prune", NoParams.class, VmPruneResult.class);
    public static final Method<NoParams, List<VmRecord>> VM_LIST = Method.listOf("vm.list", NoParams.class, VmRecord.class);
    public static final Method<VmRef, VmRecord> VM_SHOW = Method.of("vm.show", VmRef.class, VmRecord.class);
    public static final Method<VmRef, VmLogsResult> VM_LOGS = Method.of("vm.logs", VmRef.class, VmLogsResult.class);
    public static final Method<VmExecParams, ExecResult> VM_EXEC = Method.of("vm.exec", VmExecParams.class, ExecResult.class);
    public static final Method<VmCpInParams, VmCpResult> VM_CP_IN = Method.of("vm.cp.in", VmCpInParams.class, VmCpResult.class);
    public static final Method<VmCpOutParams, VmCpResult> VM_CP_OUT = Method.of("vm.cp.out", VmCpOutParams.class, VmCpResult.class);
    public static final Method<VmPortParams, VmPorts> VM_PORT_ADD = Method.of("vm.port.add", VmPortParams.class, VmPorts.class);
    public static final Method<VmPortParams, VmPorts> VM_PORT_RM = Method.of("vm.port.rm", VmPortParams.class, VmPorts.class);
    public static final Method<VmRef, VmPorts> VM_PORT_LS = Method.of("vm.port.ls", VmRef.class, VmPorts.class);
    public static final Method<VmStatsParams, List<VmUsage>> VM_STATS = Method.listOf("vm.stats", VmStatsParams.class, VmUsage.class);
    public static final Method<VmResizeParams, VmRecord> VM_RESIZE = Method.of("vm.resize", VmResizeParams.class, VmRecord.class);
    public static final Method<VmSshHostsParams, VmSshHosts> VM_SSH_HOSTS =
            Method.of("vm.ssh.hosts", VmSshHostsParams.class, VmSshHosts.class);

    public static final Method<ImageBuildParams, ImageRecord> IMAGE_BUILD = Method.of("image.build", ImageBuildParams.class, ImageRecord.class);
    public static final Method<ImagePullParams, ImageRecord> IMAGE_PULL = Method.of("image.pull", ImagePullParams.class, ImageRecord.class);
    public static final Method<ImageRegisterParams, ImageRecord> IMAGE_REGISTER =
            Method.of("image.register", ImageRegisterParams.class, ImageRecord.class);
    public static final Method<ImageImportParams, ImageRecord> IMAGE_IMPORT = Method.of("image.import", ImageImportParams.class, ImageRecord.class);
    public static final Method<ImagePromoteParams, ImageRecord> IMAGE_PROMOTE =
            Method.of("image.promote", ImagePromoteParams.class, ImageRecord.class);
    public static final Method<NoParams, List<ImageRecord>> IMAGE_LIST = Method.listOf("image.list", NoParams.class, ImageRecord.class);
    public static final Method<NoParams, List<ImageAvailable>> IMAGE_CATALOG =
            Method.listOf("image.catalog", NoParams.class, ImageAvailable.class);
    public static final Method<ImageRef, ImageRecord> IMAGE_SHOW = Method.of("image.show", ImageRef.class, ImageRecord.class);
    public static final Method<ImageRef, ImageRecord> IMAGE_RM = Method.of("image.rm", ImageRef.class, ImageRecord.class);
    public static final Method<NoParams, ImagePruneResult> IMAGE_PRUNE = Method.of("image.prune", NoParams.class, ImagePruneResult.class);

    public static final Method<KernelImportParams, KernelInfo> KERNEL_IMPORT = Method.of("kernel.import", KernelImportParams.class, KernelInfo.class);
    public static final Method<KernelPullParams, KernelInfo> KERNEL_PULL = Method.of("kernel.pull", KernelPullParams.class, KernelInfo.class);
    public static final Method<NoParams, List<KernelInfo>> KERNEL_LIST = Method.listOf("kernel.list", NoParams.class, KernelInfo.class);
    public static final Method<KernelCatalogParams, List<KernelAvailable>> KERNEL_CATALOG =
            Method.listOf("kernel.catalog", KernelCatalogParams.class, KernelAvailable.class);
    public static final Method<KernelRef, KernelInfo> KERNEL_SHOW = Method.of("kernel.show", KernelRef.class, KernelInfo.class);
    public static final Method<KernelRef, KernelInfo> KERNEL_DELETE = Method.of("kernel.delete", KernelRef.class, KernelInfo.class);

    public static final Method<NoParams, DaemonStatus> DAEMON_STATUS = Method.of("daemon.status", NoParams.class, DaemonStatus.class);
    public static final Method<NoParams, DaemonStopResult> DAEMON_STOP = Method.of("daemon.stop", NoParams.class, DaemonStopResult.class);
    public static final Method<NoParams, DoctorReport> DOCTOR_RUN = Method.of("doctor.run", NoParams.class, DoctorReport.class);
    public static final Method<NoParams, List<String>> RPC_METHODS = Method.listOf("rpc.methods", NoParams.class, String.class);

    /** All of them, in the order docs/rpc.md documents them. */
    public static final List<Method<?, ?>> ALL = List.of(VM_CREATE, VM_RUN, VM_START, VM_STOP, VM_KILL, VM_RESTART, VM_RM, VM_PRUNE,
            VM_LIST, VM_SHOW, VM_LOGS, VM_EXEC, VM_CP_IN, VM_CP_OUT, VM_PORT_ADD, VM_PORT_RM, VM_PORT_LS, VM_STATS, VM_RESIZE, VM_SSH_HOSTS, IMAGE_BUILD, IMAGE_PULL, IMAGE_REGISTER, IMAGE_IMPORT, IMAGE_PROMOTE, IMAGE_LIST,
            IMAGE_CATALOG, IMAGE_SHOW, IMAGE_RM, IMAGE_PRUNE, KERNEL_IMPORT, KERNEL_PULL, KERNEL_LIST, KERNEL_CATALOG, KERNEL_SHOW,
            KERNEL_DELETE, DAEMON_STATUS, DAEMON_STOP, DOCTOR_RUN, RPC_METHODS);

    private Methods() { }
}
