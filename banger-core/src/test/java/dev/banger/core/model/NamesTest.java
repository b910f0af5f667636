package dev.banger.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * A VM name becomes a hostname, a DNS record and a path component, so it must be a DNS label.
 * The properties build names from the label's rules, one rule at a time, rather than feeding
 * random strings (which almost never pass) or restating the validator's regex:
 * <ul>
 *   <li>letters: lowercase ASCII letters, digits and '-';</li>
 *   <li>length: 1 to 63;</li>
 *   <li>ends: the first and the last character are not '-'.</li>
 * </ul>
 * Every name that keeps all rules is accepted; every name that breaks exactly one is refused.
 */
class NamesTest {
    static final int MAX_LENGTH = 63;
    private static final String LETTERS_AND_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";

    private static Arbitrary<Character> edgeChar() {
        return Arbitraries.of(LETTERS_AND_DIGITS.chars().mapToObj(c -> (char) c).toList());
    }

    private static Arbitrary<Character> innerChar() {
        return Arbitraries.oneOf(edgeChar(), Arbitraries.just('-'));
    }

    /** A name of exactly {@code length} characters that keeps the letter and ends rules. */
    private static Arbitrary<String> labelOfLength(int length) {
        if (length == 1) return edgeChar().map(String::valueOf);
        return Combinators.combine(edgeChar(), innerChar().list().ofSize(length - 2), edgeChar())
                .as((first, middle, last) -> {
                    StringBuilder sb = new StringBuilder().append(first);
                    middle.forEach(sb::append);
                    return sb.append(last).toString();
                });
    }

    private static Arbitrary<String> labelOfLengthIn(int min, int max) {
        return Arbitraries.integers().between(min, max)
                .flatMap(NamesTest::labelOfLength);
    }

    @Provide
    Arbitrary<String> validNames() {
        return labelOfLengthIn(1, MAX_LENGTH);
    }

    @Provide
    Arbitrary<String> tooLong() {
        return labelOfLengthIn(MAX_LENGTH + 1, 300);
    }

    /** Keeps the length rule (a leading or trailing '-' added to a name of at most 62). */
    @Provide
    Arbitrary<String> dashAtAnEnd() {
        return Combinators.combine(labelOfLengthIn(1, MAX_LENGTH - 1), Arbitraries.of(true, false))
                .as((name, leading) -> leading ? "-" + name : name + "-");
    }

    /** A character from outside the alphabet, at any position, in a name that keeps the length rule. */
    @Provide
    Arbitrary<String> foreignCharacter() {
        Arbitrary<Character> foreign = Arbitraries.oneOf(
                Arbitraries.chars().range('A', 'Z'),
                Arbitraries.of('_', '.', '/', ' ', '\t', '\n', '\0', '\u007f', ':', '@', '\u00e9', '\u0131', '\u212a'),
                Arbitraries.chars().all().filter(c -> LETTERS_AND_DIGITS.indexOf(c) < 0 && c != '-'));
        return Combinators.combine(labelOfLengthIn(1, MAX_LENGTH - 1), foreign, Arbitraries.integers().between(0, MAX_LENGTH))
                .as((name, c, at) -> {
                    int pos = Math.min(at, name.length());
                    return name.substring(0, pos) + c + name.substring(pos);
                });
    }

    @Property
    void everyNameThatKeepsTheRulesIsAccepted(@ForAll("validNames") String name) {
        assertThatCode(() -> Names.validateVmName(name)).as(name).doesNotThrowAnyException();
    }

    @Property
    void aNameLongerThan63IsRefused(@ForAll("tooLong") String name) {
        assertRefusedClearly(name);
    }

    @Property
    void aDashAtEitherEndIsRefused(@ForAll("dashAtAnEnd") String name) {
        assertRefusedClearly(name);
    }

    @Property
    void anyCharacterOutsideTheAlphabetIsRefused(@ForAll("foreignCharacter") String name) {
        assertRefusedClearly(name);
    }

    /** Refused with a message that says what a name may be, on one line with no control characters (it reaches a terminal). */
    private static void assertRefusedClearly(String name) {
        assertThatThrownBy(() -> Names.validateVmName(name)).as(name)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid vm name \"")
                .hasMessageContaining("1-63 lowercase letters, digits and '-'")
                .satisfies(e -> assertThat(e.getMessage().chars().noneMatch(c -> c < 0x20 || c == 0x7f))
                        .as("no control characters in %s", e.getMessage()).isTrue());
    }

    @Test
    void emptyAndMissingNamesAreRefused() {
        assertThatThrownBy(() -> Names.validateVmName("")).hasMessage("vm name must not be empty");
        assertThatThrownBy(() -> Names.validateVmName(null)).hasMessage("vm name must not be empty");
    }

    @Test
    void theBoundaryLengthsAreExact() {
        assertThatCode(() -> Names.validateVmName("x".repeat(MAX_LENGTH))).doesNotThrowAnyException();
        assertRefusedClearly("x".repeat(MAX_LENGTH + 1));
        assertThatCode(() -> Names.validateVmName("a-b")).doesNotThrowAnyException();
        assertThatCode(() -> Names.validateVmName("a--b")).doesNotThrowAnyException();
        assertRefusedClearly("-");
    }

    @Test
    void generatedNamesAreValidAndVary() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 500; i++) {
            String generated = Names.generateVmName();
            assertThatCode(() -> Names.validateVmName(generated)).as(generated).doesNotThrowAnyException();
            seen.add(generated);
        }
        assertThat(seen).as("adjective-noun pairs from 30x30 words").hasSizeGreaterThan(100);
    }

    @Test
    void idsAreSixteenHexChars() {
        assertThat(Names.newId()).matches("[0-9a-f]{16}").isNotEqualTo(Names.newId());
    }
}
