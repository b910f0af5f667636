package dev.banger.core;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where banger keeps things. XDG by default; {@code BANGER_HOME} puts everything under one
 * directory (tests, side-by-side installs). Each root can also be overridden on its own.
 */
public record BangerPaths(Path configDir, Path stateDir, Path runtimeDir) {

    public static BangerPaths fromEnvironment() {
        return from(System.getenv());
    }

    public static BangerPaths from(Map<String, String> env) {
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        String bangerHome = env.get("BANGER_HOME");
        Path config;
        Path state;
        Path runtime;
        if (bangerHome != null && !bangerHome.isBlank()) {
            Path root = Path.of(bangerHome).toAbsolutePath().normalize();
            config = root.resolve("config");
            state = root.resolve("state");
            runtime = root.resolve("run");
        } else {
            config = xdg(env, "XDG_CONFIG_HOME", Path.of(home, ".config")).resolve("banger");
            state = xdg(env, "XDG_STATE_HOME", Path.of(home, ".local", "state")).resolve("banger");
            String xdgRuntime = env.get("XDG_RUNTIME_DIR");
            runtime = xdgRuntime != null && !xdgRuntime.isBlank()
                    ? Path.of(xdgRuntime).resolve("banger")
                    : state.resolve("run");
        }
        config = override(env, "BANGER_CONFIG_DIR", config);
        state = override(env, "BANGER_STATE_DIR", state);
        runtime = override(env, "BANGER_RUNTIME_DIR", runtime);
        return new BangerPaths(config, state, runtime);
    }

    private static Path xdg(Map<String, String> env, String key, Path fallback) {
        String v = env.get(key);
        return v != null && !v.isBlank() ? Path.of(v) : fallback;
    }

    private static Path override(Map<String, String> env, String key, Path fallback) {
        String v = env.get(key);
        return v != null && !v.isBlank() ? Path.of(v).toAbsolutePath().normalize() : fallback;
    }

    public Path daemonSocket() {
        return runtimeDir.resolve("bangerd.sock");
    }

    public Path daemonLock() {
        return runtimeDir.resolve("bangerd.lock");
    }

    public Path daemonLog() {
        return stateDir.resolve("bangerd.log");
    }

    public Path database() {
        return stateDir.resolve("banger.db");
    }

    public Path vmsDir() {
        return stateDir.resolve("vms");
    }

    public Path imagesDir() {
        return stateDir.resolve("images");
    }

    public Path kernelsDir() {
        return stateDir.resolve("kernels");
    }

    public Path cacheDir() {
        return stateDir.resolve("cache");
    }

    public Path configFile() {
        return configDir.resolve("config.toml");
    }
}
