package dev.banger.daemon.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * On CI (env {@code CI=true}), a test that aborts (a failed assumption: the usual way a test
 * "skips itself") fails instead, unless the test class or method is on the allow-list in
 * {@code ci-allowed-skips.txt}, whose every entry must give one of the accepted reasons.
 * Registered for every Jupiter test of banger-daemon and e2e (through the test-jar) by
 * META-INF/services and junit-platform.properties; {@link CiConditionsOff} covers the other way
 * of skipping, disabling conditions. See docs/testing.md.
 *
 * <p>A JUnit Platform TestExecutionListener cannot do this: the platform logs and swallows its
 * exceptions, so it can report a skip but never fail the run.
 */
public final class CiSkipGuard implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    /** The only reasons a test may skip on CI: hardware or host features a CI runner may lack. */
    static final Set<String> ACCEPTED_REASONS = Set.of("device-mapper", "kvm", "firecracker");
    static final String ALLOW_LIST = "ci-allowed-skips.txt";

    record Entry(String className, String method, String reason) {
        boolean covers(String testClass, String testMethod) {
            return className.equals(testClass) && (method == null || method.equals(testMethod));
        }
    }

    private static volatile List<Entry> allowList;

    /** CI=true or CI=1, as CI systems set it; -Dbanger.ci=true|false overrides (the guard's own tests). */
    static boolean onCi() {
        String forced = System.getProperty("banger.ci");
        String value = forced != null ? forced : System.getenv("CI");
        return value != null && (value.equalsIgnoreCase("true") || value.equals("1"));
    }

    /** The failure that replaces an abort, or empty when the abort may stand. */
    static Optional<AssertionFailedError> refusal(boolean ci, List<Entry> allowed, String testClass, String testMethod, Throwable t) {
        if (!ci || !(t instanceof TestAbortedException)) return Optional.empty();
        if (allowed.stream().anyMatch(e -> e.covers(testClass, testMethod))) return Optional.empty();
        AssertionFailedError failure = new AssertionFailedError("skipped on CI (" + t.getMessage() + "): "
                + testClass + (testMethod == null ? "" : "#" + testMethod)
                + " is not on " + ALLOW_LIST + " (allowed reasons: " + String.join(", ", ACCEPTED_REASONS.stream().sorted().toList())
                + "); see docs/testing.md", t);
        return Optional.of(failure);
    }

    static List<Entry> parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] parts = line.split("\\s+", 2);
            String reason = parts.length == 2 ? parts[1].strip().toLowerCase(Locale.ROOT) : "";
            if (!ACCEPTED_REASONS.contains(reason)) {
                throw new IllegalStateException(ALLOW_LIST + ": \"" + line + "\" needs one of the reasons " + ACCEPTED_REASONS);
            }
            int hash = parts[0].indexOf('#');
            entries.add(hash < 0 ? new Entry(parts[0], null, reason)
                    : new Entry(parts[0].substring(0, hash), parts[0].substring(hash + 1), reason));
        }
        return List.copyOf(entries);
    }

    private static List<Entry> allowList() {
        List<Entry> list = allowList;
        if (list == null) {
            try (InputStream in = CiSkipGuard.class.getResourceAsStream("/" + ALLOW_LIST)) {
                if (in == null) throw new IllegalStateException(ALLOW_LIST + " is missing from the test classpath");
                list = parse(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            allowList = list;
        }
        return list;
    }

    private static void check(ExtensionContext context, Throwable t) throws Throwable {
        if (onCi() && t instanceof TestAbortedException) {
            String testClass = context.getRequiredTestClass().getName();
            String method = context.getTestMethod().map(java.lang.reflect.Method::getName).orElse(null);
            Optional<AssertionFailedError> failure = refusal(true, allowList(), testClass, method, t);
            if (failure.isPresent()) throw failure.get();
        }
        throw t;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        check(context, t);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        check(context, t);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        check(context, t);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        check(context, t);
    }

    @Override
    public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable t) throws Throwable {
        check(context, t);
    }
}
