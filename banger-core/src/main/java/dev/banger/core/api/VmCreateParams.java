package dev.banger.core.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code vm.create}. {@code removeOnFailure}: a failed boot removes the VM instead of leaving it in state error. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmCreateParams(String name, String image, Integer vcpu, Integer memoryMib, String diskSize, boolean noStart,
                             boolean removeOnFailure) { }
