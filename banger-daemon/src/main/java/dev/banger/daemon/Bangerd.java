package dev.banger.daemon;

public final class Bangerd {
    private Bangerd() { }

    public static void main(String[] args) {
        System.err.println("bangerd: not wired yet");
        System.exit(2);
    }
}
