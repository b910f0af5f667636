package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A doctor check's verdict: ok, warn (banger works, with less), fail (something banger needs is missing). */
public enum DoctorStatus {
    OK, WARN, FAIL;

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static DoctorStatus fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
