package dev.banger.core.api;

/** {@code vm.exec} and {@code vm.run}: the remote command's exit code (128+N when killed by signal N). */
public record ExecResult(int exitCode) { }
