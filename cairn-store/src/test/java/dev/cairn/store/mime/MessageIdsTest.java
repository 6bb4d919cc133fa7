// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** RFC 5322 §3.6.4 msg-ids as every caller reads them: one rule for case, brackets, folding and length. */
class MessageIdsTest {

    @Test void theCaseIsKeptSoIdsThatDifferInCaseAreDifferentIds() {
        assertThat(MessageIds.first("<AbC@Example.ORG>")).isEqualTo("<AbC@Example.ORG>");
        assertThat(MessageIds.all("<a@x> <A@x>")).containsExactly("<a@x>", "<A@x>");
    }

    @Test void anIdIsWhatLiesBetweenTheAngleBracketsWithThemKept() {
        assertThat(MessageIds.first("  <a@x>  (a comment) ")).isEqualTo("<a@x>");
        assertThat(MessageIds.first("a@x")).isNull();
        assertThat(MessageIds.first("<a@x")).isNull();
        assertThat(MessageIds.first("<> <b@x>")).isEqualTo("<b@x>");
        assertThat(MessageIds.first(null)).isNull();
        assertThat(MessageIds.all("In reply to <a@x>, <b@x>;<c@x>")).containsExactly("<a@x>", "<b@x>", "<c@x>");
        assertThat(MessageIds.all(null)).isEmpty();
    }

    /** RFC 5322 §2.2.3 unfolding and §4.5.4 obs-id: whitespace inside an id does not make another id. */
    @Test void foldingAndWhitespaceInsideAnIdAreDropped() {
        assertThat(MessageIds.first("\r\n <a.b@\r\n\texample.org>")).isEqualTo("<a.b@example.org>");
        assertThat(MessageIds.all("<a@x>\r\n <b @ x>")).containsExactly("<a@x>", "<b@x>");
    }

    @Test void anIdOfTheLengthCapIsKeptAndOneLongerIsNoId() {
        String atCap = "<" + "a".repeat(MessageIds.MAX_LENGTH - 4) + "@x>";
        String over = "<" + "a".repeat(MessageIds.MAX_LENGTH - 3) + "@x>";
        assertThat(atCap).hasSize(MessageIds.MAX_LENGTH);
        assertThat(MessageIds.first(atCap)).isEqualTo(atCap);
        assertThat(MessageIds.first(over)).isNull();
        // whitespace does not count against the cap
        assertThat(MessageIds.first(atCap.replace("@", " \r\n @"))).isEqualTo(atCap);
        // an over-long id is skipped, the next one still read
        assertThat(MessageIds.all(over + " <b@x>")).containsExactly("<b@x>");
        assertThat(MessageIds.first(over + " <b@x>")).isEqualTo("<b@x>");
    }
}
