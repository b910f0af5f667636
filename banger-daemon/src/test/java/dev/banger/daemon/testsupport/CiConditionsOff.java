package dev.banger.daemon.testsupport;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * On CI, switches off every Jupiter execution condition (@Disabled, @DisabledIfEnvironmentVariable,
 * ...) before discovery, so no test is skipped by a condition: it runs, and passes or fails. A test
 * that must be able to skip on CI does it by an assumption and an entry on the allow-list
 * ({@link CiSkipGuard}). Registered by META-INF/services.
 */
public final class CiConditionsOff implements LauncherSessionListener {
    static final String DEACTIVATE = "junit.jupiter.conditions.deactivate";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (CiSkipGuard.onCi() && System.getProperty(DEACTIVATE) == null) System.setProperty(DEACTIVATE, "*");
    }
}
