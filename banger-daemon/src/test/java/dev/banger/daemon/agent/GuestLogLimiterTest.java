package dev.banger.daemon.agent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

class GuestLogLimiterTest {
    @Test
    void aGuestSendingAMillionErrorFramesGetsAFewTruncatedLinesIntoTheLog() {
        Logger logger = (Logger) LoggerFactory.getLogger("guest-log-limiter-test");
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        AtomicLong now = new AtomicLong();
        GuestLogLimiter limiter = new GuestLogLimiter(logger, "agent", now::get);
        String hostile = "x".repeat(10_000) + "\n2026-01-01 ERROR forged line";
        for (int i = 0; i < 1_000_000; i++) {
            limiter.warn("reported a protocol error on channel {}: {}", i, hostile);
        }
        assertThat(events.list).as("the burst only").hasSize(10);
        assertThat(events.list.getFirst().getFormattedMessage()).hasSizeLessThan(300).doesNotContain("\n");
        now.addAndGet(60_000_000_000L);   // a minute later: ten more tokens
        limiter.warn("reported a protocol error on channel {}: {}", 1, "short\nforged");
        assertThat(events.list).hasSize(11);
        assertThat(events.list.getLast().getFormattedMessage())
                .isEqualTo("agent: reported a protocol error on channel 1: short\\x0aforged (999990 similar lines from this guest dropped)");
        logger.detachAppender(events);
    }
}
