package dev.banger.core.api;

/** Params of a method that takes none: {@code {}} (any member is refused, like every unknown param). */
public record NoParams() {
    public static final NoParams NONE = new NoParams();
}
