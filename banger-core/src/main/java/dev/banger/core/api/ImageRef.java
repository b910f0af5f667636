package dev.banger.core.api;

/** Params naming one image (name or id): image.show, image.rm. */
public record ImageRef(String image) { }
