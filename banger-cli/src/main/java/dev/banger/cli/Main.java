package dev.banger.cli;

public final class Main {
    private Main() { }

    public static void main(String[] args) {
        System.err.println("banger: not wired yet");
        System.exit(2);
    }
}
