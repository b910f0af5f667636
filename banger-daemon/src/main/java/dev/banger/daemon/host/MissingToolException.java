package dev.banger.daemon.host;

import java.io.IOException;

/** A host tool that is on neither PATH nor the sbin directories; the message names its Debian package. */
public final class MissingToolException extends IOException {
    private final String tool;

    MissingToolException(String tool, String message) {
        super(message);
        this.tool = tool;
    }

    public String tool() {
        return tool;
    }
}
