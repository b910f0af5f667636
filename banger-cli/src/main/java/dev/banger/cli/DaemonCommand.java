package dev.banger.cli;

import dev.banger.core.api.DaemonStatus;
import dev.banger.core.api.Methods;
import dev.banger.core.api.NoParams;
import dev.banger.core.rpc.RpcClient;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code banger daemon …}: the bangerd of the current banger home. */
@Command(name = "daemon", description = "Inspect or stop bangerd.", mixinStandardHelpOptions = true)
final class DaemonCommand {
    static final java.util.List<Class<?>> VERBS = java.util.List.of(Status.class, Stop.class);

    @Command(name = "status", description = "Is bangerd running? (does not start it)", mixinStandardHelpOptions = true)
    static final class Status implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            DaemonStatus s;
            try (RpcClient c = DaemonClient.connect(Main.PATHS, false)) {
                s = c.call(Methods.DAEMON_STATUS, NoParams.NONE);
            } catch (IOException e) {
                if (json) System.out.println("{\"running\": false}");
                else System.out.println("bangerd is not running");
                return 3;
            }
            if (json) {
                Output.json(System.out, s);
            } else {
                System.out.printf("bangerd %s running, pid %s, %s VMs (%s running)%nsocket %s%nstate  %s%n",
                        s.version(), s.pid(), s.vms(), s.running(), s.socket(), s.stateDir());
            }
            return 0;
        }
    }

    @Command(name = "stop", description = "Stop bangerd. Running VMs keep running and are reconciled on the next start.", mixinStandardHelpOptions = true)
    static final class Stop implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            long pid;
            try (RpcClient c = DaemonClient.connect(Main.PATHS, false)) {
                pid = c.call(Methods.DAEMON_STOP, NoParams.NONE).pid();
            } catch (IOException e) {
                System.out.println("bangerd is not running");
                return 0;
            }
            var handle = ProcessHandle.of(pid);
            long deadline = System.currentTimeMillis() + 10_000;
            while (handle.isPresent() && handle.get().isAlive() && System.currentTimeMillis() < deadline) DaemonClient.sleep(20);
            System.out.println("bangerd stopped");
            return 0;
        }
    }
}
