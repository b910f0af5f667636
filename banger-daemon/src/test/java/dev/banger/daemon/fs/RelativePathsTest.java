package dev.banger.daemon.fs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RelativePathsTest {
    @Test
    void prefixesEndWithThePathAndParentsStopBeforeIt() {
        assertThat(RelativePaths.prefixes("a/b/c")).containsExactly("a", "a/b", "a/b/c");
        assertThat(RelativePaths.parents("a/b/c")).containsExactly("a", "a/b");
        assertThat(RelativePaths.prefixes("a")).containsExactly("a");
        assertThat(RelativePaths.parents("a")).isEmpty();
        assertThat(RelativePaths.prefixes("")).isEmpty();
        assertThat(RelativePaths.parents("")).isEmpty();
    }
}
