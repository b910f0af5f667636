package dev.banger.core.api;

/**
 * One check of {@code doctor.run}: its name (stable, e.g. {@code accelerator}), its status, a
 * one-line summary of what it means for banger on this host, the facts behind it, and the command
 * that fixes it (null when there is nothing to fix).
 */
public record DoctorCheckResult(String name, DoctorStatus status, String summary, String detail, String fix) { }
