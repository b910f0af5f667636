package dev.banger.daemon.doctor;

import dev.banger.core.api.DoctorStatus;

/** What a check found: status, what it means for banger here (one line), the facts, and the fix (null: none). */
record Finding(DoctorStatus status, String summary, String detail, String fix) {
    static Finding ok(String summary, String detail) {
        return new Finding(DoctorStatus.OK, summary, detail, null);
    }

    static Finding warn(String summary, String detail, String fix) {
        return new Finding(DoctorStatus.WARN, summary, detail, fix);
    }

    static Finding fail(String summary, String detail, String fix) {
        return new Finding(DoctorStatus.FAIL, summary, detail, fix);
    }
}
