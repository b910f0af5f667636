package dev.banger.core.api;

/** {@code image.promote}: the stopped VM whose root becomes the image {@code name}. */
public record ImagePromoteParams(String vm, String name) { }
