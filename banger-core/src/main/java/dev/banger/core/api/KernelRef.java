package dev.banger.core.api;

/** Params naming one kernel: kernel.show, kernel.delete. */
public record KernelRef(String name) { }
