package dev.banger.roothelper.api;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One request line: {@code {"op":"create_tap","vm_id":"0123456789abcdef"}}. The set of operations is
 * closed (sealed); each record validates its own fields in its constructor, so a request that
 * parses is a valid one and nothing unvalidated reaches an operation.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
@JsonSubTypes({
        @JsonSubTypes.Type(value = EnsureBridge.class, name = "ensure_bridge"),
        @JsonSubTypes.Type(value = CreateTap.class, name = "create_tap"),
        @JsonSubTypes.Type(value = DeleteTap.class, name = "delete_tap"),
        @JsonSubTypes.Type(value = EnableNat.class, name = "enable_nat"),
        @JsonSubTypes.Type(value = DisableNat.class, name = "disable_nat"),
        @JsonSubTypes.Type(value = SetDnsRecords.class, name = "set_dns_records"),
        @JsonSubTypes.Type(value = Reconcile.class, name = "reconcile"),
        @JsonSubTypes.Type(value = Version.class, name = "version"),
        @JsonSubTypes.Type(value = RemoveHostState.class, name = "remove_host_state"),
})
public sealed interface HelperRequest permits EnsureBridge, CreateTap, DeleteTap, EnableNat, DisableNat, SetDnsRecords, Reconcile, Version, RemoveHostState {

    /** The {@code op} name on the wire, for the audit log. */
    static String opName(HelperRequest request) {
        return switch (request) {
            case EnsureBridge e -> "ensure_bridge";
            case CreateTap c -> "create_tap";
            case DeleteTap d -> "delete_tap";
            case EnableNat n -> "enable_nat";
            case DisableNat n -> "disable_nat";
            case SetDnsRecords s -> "set_dns_records";
            case Reconcile r -> "reconcile";
            case Version v -> "version";
            case RemoveHostState r -> "remove_host_state";
        };
    }
}
