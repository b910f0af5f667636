package dev.banger.core.model;

import java.util.List;

/**
 * What an image asks to run (an OCI image's config: entrypoint, cmd, env, working dir, user).
 * {@code vm run IMAGE} without a command runs entrypoint + cmd with it.
 */
public record ImageRunConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user) {
    public ImageRunConfig {
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        cmd = cmd == null ? List.of() : List.copyOf(cmd);
        env = env == null ? List.of() : List.copyOf(env);
        workingDir = workingDir == null ? "" : workingDir;
        user = user == null ? "" : user;
    }

    public static final ImageRunConfig NONE = new ImageRunConfig(null, null, null, null, null);

    /** Entrypoint followed by cmd: the command line the image runs when given none. */
    public List<String> command() {
        List<String> all = new java.util.ArrayList<>(entrypoint);
        all.addAll(cmd);
        return List.copyOf(all);
    }
}
