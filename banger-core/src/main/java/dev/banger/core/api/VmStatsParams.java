package dev.banger.core.api;

/** {@code vm.stats}: one VM (name, id or unique id prefix), or null for every running VM. */
public record VmStatsParams(String vm) { }
