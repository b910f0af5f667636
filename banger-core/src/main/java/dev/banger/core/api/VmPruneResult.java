package dev.banger.core.api;

import java.util.List;

/** {@code vm.prune}: the names of the VMs removed. */
public record VmPruneResult(List<String> removed) { }
