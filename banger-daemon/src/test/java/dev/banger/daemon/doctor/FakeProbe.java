package dev.banger.daemon.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A host made of maps: the files, devices, tools and command outputs a test says exist, nothing else. */
final class FakeProbe implements HostProbe {
    final Set<Path> present = new HashSet<>();
    final Set<Path> readWrite = new HashSet<>();
    final Map<Path, String> files = new HashMap<>();
    final Map<Path, List<String>> dirs = new HashMap<>();
    final Map<String, Path> tools = new HashMap<>();
    final Map<List<String>, Output> commands = new HashMap<>();
    final Set<Path> listening = new HashSet<>();
    final Map<Path, String> helperVersions = new HashMap<>();
    final List<List<String>> ran = new ArrayList<>();
    long usable = 100L << 30;
    String kernelConfig;
    long uid = 1000;
    String user = "alice";

    FakeProbe device(String path, boolean opens) {
        present.add(Path.of(path));
        if (opens) readWrite.add(Path.of(path));
        return this;
    }

    FakeProbe file(String path, String text) {
        files.put(Path.of(path), text);
        present.add(Path.of(path));
        return this;
    }

    FakeProbe tool(String name, String path) {
        tools.put(name, Path.of(path));
        present.add(Path.of(path));
        return this;
    }

    FakeProbe command(Output out, String... argv) {
        commands.put(List.of(argv), out);
        return this;
    }

    static Output ok(String stdout) {
        return new Output(0, stdout, "");
    }

    @Override
    public boolean exists(Path path) {
        return present.contains(path);
    }

    @Override
    public Optional<String> read(Path path) {
        return Optional.ofNullable(files.get(path));
    }

    @Override
    public boolean opensReadWrite(Path path) {
        return readWrite.contains(path);
    }

    @Override
    public List<String> list(Path dir) {
        return dirs.getOrDefault(dir, List.of());
    }

    @Override
    public Optional<Path> tool(String name) {
        return Optional.ofNullable(tools.get(name));
    }

    @Override
    public Output run(List<String> command) {
        ran.add(command);
        return commands.getOrDefault(command, new Output(-1, "", command.getFirst() + ": no such command in this fake"));
    }

    @Override
    public long usableBytes(Path path) {
        return usable;
    }

    @Override
    public Optional<String> kernelConfig() {
        return Optional.ofNullable(kernelConfig);
    }

    @Override
    public boolean connects(Path unixSocket) {
        return listening.contains(unixSocket);
    }

    @Override
    public Optional<String> helperVersion(Path helperSocket) {
        return Optional.ofNullable(helperVersions.get(helperSocket));
    }

    @Override
    public long uid() {
        return uid;
    }

    @Override
    public String user() {
        return user;
    }
}
