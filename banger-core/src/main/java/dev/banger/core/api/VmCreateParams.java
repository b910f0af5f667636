package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.banger.core.model.PortForward;
import java.util.List;

/**
 * {@code vm.create}. {@code removeOnFailure}: a failed boot removes the VM instead of leaving it in state error.
 * {@code portForwards}: host ports forwarded to the guest (persisted with the VM, bound at every start).
 * {@code rootSize}: the guest's root filesystem size ("8G"); null for the configured default.
 * {@code nat}: a bridged VM reaches the outside through the host (left out of the JSON when off).
 * {@code idleStop}: stop the VM after this long idle ("20s", "30m", "2h", or "off"); null for the
 * configured default ({@code idle_stop}, off unless set).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmCreateParams(String name, String image, Integer vcpu, Integer memoryMib, String diskSize, boolean noStart,
                             boolean removeOnFailure, List<PortForward> portForwards, String rootSize,
                             @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean nat, String idleStop) {
    /** Without port forwards. */
    public VmCreateParams(String name, String image, Integer vcpu, Integer memoryMib, String diskSize, boolean noStart,
                          boolean removeOnFailure) {
        this(name, image, vcpu, memoryMib, diskSize, noStart, removeOnFailure, null, null, false, null);
    }

    /** With the default root size. */
    public VmCreateParams(String name, String image, Integer vcpu, Integer memoryMib, String diskSize, boolean noStart,
                          boolean removeOnFailure, List<PortForward> portForwards) {
        this(name, image, vcpu, memoryMib, diskSize, noStart, removeOnFailure, portForwards, null, false, null);
    }

    /**
     * These params for a create that boots (vm.run): every field kept, {@code noStart} off and
     * {@code removeOnFailure} as given. A copy by field list here, so a field added later cannot be
     * dropped by a caller that rebuilds the record by hand.
     */
    public VmCreateParams booting(boolean removeOnFailure) {
        return new VmCreateParams(name, image, vcpu, memoryMib, diskSize, false, removeOnFailure, portForwards, rootSize, nat, idleStop);
    }

    /** Without an idle stop (the configured default). */
    public VmCreateParams(String name, String image, Integer vcpu, Integer memoryMib, String diskSize, boolean noStart,
                          boolean removeOnFailure, List<PortForward> portForwards, String rootSize, boolean nat) {
        this(name, image, vcpu, memoryMib, diskSize, noStart, removeOnFailure, portForwards, rootSize, nat, null);
    }
}
