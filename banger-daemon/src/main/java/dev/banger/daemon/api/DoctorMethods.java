package dev.banger.daemon.api;

import static dev.banger.daemon.api.Params.handle;

import dev.banger.core.api.Methods;
import dev.banger.daemon.doctor.Doctor;
import dev.banger.daemon.rpc.RpcMethod;
import java.util.Map;

/** RPC surface of {@code banger doctor}. */
public final class DoctorMethods {
    private final Doctor doctor;

    public DoctorMethods(Doctor doctor) {
        this.doctor = doctor;
    }

    public void register(Map<String, RpcMethod> m) {
        handle(m, Methods.DOCTOR_RUN, (p, ctx) -> doctor.run());
    }
}
