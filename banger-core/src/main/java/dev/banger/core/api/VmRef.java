package dev.banger.core.api;

/** Params naming one VM (name, id or unique id prefix): vm.start, vm.kill, vm.show, vm.logs. */
public record VmRef(String vm) { }
