// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.imap.ReferencesThreads.Message;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** THREAD=REFERENCES, rule by rule (RFC 5256 §4), over hand-built messages. */
class ReferencesThreadsTest {
    private final List<Message> messages = new ArrayList<>();

    /** Message number n, sent at minute {@code minute}; refs are the References ids. */
    private Builder msg(int n, int minute) { return new Builder(n, minute); }

    private final class Builder {
        final int n;
        final int minute;
        String id;
        String inReplyTo;
        String subject = "s";
        List<String> refs = List.of();

        Builder(int n, int minute) {
            this.n = n;
            this.minute = minute;
            this.id = "<m" + n + "@x>";
            this.subject = "subject " + n;
        }

        Builder id(String v) { id = v; return this; }
        Builder subject(String v) { subject = v; return this; }
        Builder refs(String... v) { refs = Arrays.asList(v); return this; }
        /** In-Reply-To, merged into the references list after References as the store does. */
        Builder inReplyTo(String v) {
            inReplyTo = v;
            List<String> merged = new ArrayList<>(refs);
            for (String t : v.trim().split("\\s+")) if (!merged.contains(t)) merged.add(t);
            refs = merged;
            return this;
        }

        void add() {
            messages.add(new Message(n, n, id, inReplyTo, refs, subject, Instant.ofEpochSecond(1_800_000_000L + minute * 60L)));
        }
    }

    private String threads() { return ReferencesThreads.render(messages); }

    @Test void nothingToThreadGivesNothing() {
        assertThat(threads()).isEmpty();
    }

    @Test void rfc5256ExampleTree() {
        // the shape of RFC 5256 §4's example "(2)(3 6 (4 23)(44 7 96))"
        msg(2, 1).add();
        msg(3, 2).subject("topic").add();
        msg(6, 3).subject("Re: topic").refs("<m3@x>").add();
        msg(4, 4).subject("Re: topic").refs("<m3@x>", "<m6@x>").add();
        msg(23, 5).subject("Re: topic").refs("<m3@x>", "<m6@x>", "<m4@x>").add();
        msg(44, 6).subject("Re: topic").refs("<m3@x>", "<m6@x>").add();
        msg(7, 7).subject("Re: topic").refs("<m3@x>", "<m6@x>", "<m44@x>").add();
        msg(96, 8).subject("Re: topic").refs("<m3@x>", "<m6@x>", "<m44@x>", "<m7@x>").add();
        assertThat(threads()).isEqualTo(" (2)(3 6 (4 23)(44 7 96))");
    }

    @Test void rfc5256DummyExample() {
        // "((3)(5))": two messages whose common parent is not in the mailbox, with different subjects
        msg(3, 1).subject("one").refs("<gone@x>").add();
        msg(5, 2).subject("two").refs("<gone@x>").add();
        assertThat(threads()).isEqualTo(" ((3)(5))");
    }

    @Test void referencesBuildTheChainAndTheLastOneIsTheParent() {
        // 3 names 1 and 2: 2 becomes a child of 1 through 3's References even though 2 names nothing
        msg(1, 1).add();
        msg(2, 2).add();
        msg(3, 3).refs("<m1@x>", "<m2@x>").add();
        assertThat(threads()).isEqualTo(" (1 2 3)");
    }

    /** One reading of Message-IDs (MessageIds): exact, as THREADID compares them, so THREAD and THREADID agree. */
    @Test void idsThatDifferOnlyInCaseNameDifferentMessages() {
        msg(1, 1).id("<M1@x>").add();
        msg(2, 2).refs("<m1@x>").add();
        msg(3, 3).id("  <m3@x> (a comment)").add();
        msg(4, 4).refs("<m3@x>").add();
        assertThat(threads()).isEqualTo(" (1)(2)(3 4)");
    }

    @Test void anExistingParentIsNotChangedByALaterReferenceChain() {
        msg(1, 1).add();
        msg(2, 2).refs("<m1@x>").add();
        msg(9, 3).add();
        // claims 9 is 2's parent: 2 has a parent already (step 1B), so only 3's own parent is 2
        msg(3, 4).refs("<m9@x>", "<m2@x>").add();
        assertThat(threads()).isEqualTo(" (1 2 3)(9)");
    }

    @Test void aMessagesOwnReferencesReplaceAParentGuessedFromATruncatedChain() {
        // 1 says p -> b; b (message 2) itself says its parent is q: the p -> b link is broken (step 1C)
        msg(1, 1).refs("<p@x>", "<b@x>").add();
        msg(2, 2).id("<b@x>").refs("<q@x>").add();
        msg(3, 3).id("<p@x>").add();
        assertThat(threads()).isEqualTo(" (2 1)(3)");
    }

    @Test void loopsInReferencesAreNotLinked() {
        msg(1, 1).id("<a@x>").refs("<b@x>").add();
        msg(2, 2).id("<b@x>").refs("<a@x>").add();
        msg(3, 3).refs("<c@x>", "<d@x>", "<c@x>").add();
        msg(4, 4).id("<self@x>").refs("<self@x>").add();
        // 1 is b's child from 1's References; 2 naming a as its parent would close a loop
        assertThat(threads()).isEqualTo(" (2 1)(3)(4)");
    }

    @Test void duplicateMessageIdsBelongToTheLowestNumberedMessage() {
        msg(2, 2).id("<a@x>").subject("copy").add();
        msg(1, 1).id("<a@x>").add();
        msg(3, 3).refs("<a@x>").add();
        assertThat(threads()).isEqualTo(" (1 3)(2)");
    }

    @Test void messagesWithoutMessageIdStandAlone() {
        msg(1, 1).id(null).add();
        msg(2, 2).id("no angle brackets").add();
        msg(3, 3).refs("<m1@x>").add();
        assertThat(threads()).isEqualTo(" (1)(2)(3)");
    }

    @Test void inReplyToIsUsedOnlyWithoutReferencesAndOnlyItsFirstId() {
        msg(1, 1).add();
        msg(2, 2).add();
        msg(3, 3).inReplyTo("<m2@x> <m1@x>").add();
        assertThat(threads()).isEqualTo(" (1)(2 3)");
    }

    @Test void emptyDummiesAreDeletedAndDummyChildrenSplicedIn() {
        msg(1, 1).add();
        msg(2, 2).refs("<m1@x>", "<gone@x>").add();
        msg(3, 3).refs("<m1@x>", "<gone@x>").add();
        // a reference chain that ends in nothing but dummies
        msg(4, 4).refs("<x@x>", "<y@x>").add();
        assertThat(threads()).isEqualTo(" (1 (2)(3))(4)");
    }

    @Test void aTopLevelDummyKeepsSeveralChildrenButPromotesAnOnlyChild() {
        msg(1, 1).subject("one").refs("<gone@x>", "<also-gone@x>").add();
        msg(2, 2).subject("two").refs("<gone@x>").add();
        msg(3, 3).subject("three").refs("<lonely@x>").add();
        assertThat(threads()).isEqualTo(" ((1)(2))(3)");
    }

    @Test void aReplyWhoseParentIsMissingJoinsItsThreadBySubject() {
        msg(1, 1).subject("topic").add();
        msg(2, 2).subject("Re: topic").refs("<gone@x>").add();
        msg(3, 3).subject("other").add();
        assertThat(threads()).isEqualTo(" (1 2)(3)");
    }

    @Test void anOriginalTakesTheSubjectFromAnEarlierReply() {
        msg(1, 1).subject("Re: topic").add();
        msg(2, 2).subject("topic").add();
        msg(3, 3).subject("[list] Fwd: topic").add();
        msg(4, 4).subject("topic (fwd)").add();
        assertThat(threads()).isEqualTo(" (2 (1)(3)(4))");
    }

    @Test void twoOriginalsWithOneSubjectShareANewDummy() {
        msg(1, 1).subject("topic").add();
        msg(2, 2).subject("[list] topic").add();
        msg(3, 3).subject("Re: topic").add();
        assertThat(threads()).isEqualTo(" ((1)(2)(3))");
    }

    @Test void aDummyHoldsItsSubjectAgainstMessages() {
        msg(1, 1).subject("topic").add();
        msg(2, 2).subject("Re: topic").refs("<gone@x>").add();
        msg(3, 3).subject("Re: topic").refs("<gone@x>").add();
        assertThat(threads()).isEqualTo(" ((1)(2)(3))");
    }

    @Test void twoDummiesWithOneSubjectMerge() {
        msg(1, 1).subject("Re: topic").refs("<gone@x>").add();
        msg(2, 2).subject("Re: topic").refs("<gone@x>").add();
        msg(3, 3).subject("Re: topic").refs("<lost@x>").add();
        msg(4, 4).subject("Re: topic").refs("<lost@x>").add();
        assertThat(threads()).isEqualTo(" ((1)(2)(3)(4))");
    }

    @Test void emptySubjectsAreNotGathered() {
        msg(1, 1).subject("").add();
        msg(2, 2).subject(null).add();
        msg(3, 3).subject("Re: ").add();
        assertThat(threads()).isEqualTo(" (1)(2)(3)");
    }

    @Test void threadsAreOrderedByTheirFirstMessageAndTiesBySequenceNumber() {
        msg(3, 5).add();
        msg(1, 5).add();
        msg(2, 5).add();
        // thread 4 starts late even though its reply 5 is the earliest message
        msg(4, 9).add();
        msg(5, 0).refs("<m4@x>").add();
        msg(6, 6).add();
        assertThat(threads()).isEqualTo(" (1)(2)(3)(6)(4 5)");
    }

    @Test void aTopLevelDummySortsByItsEarliestChild() {
        msg(1, 5).subject("one").refs("<gone@x>").add();
        msg(2, 1).subject("two").refs("<gone@x>").add();
        msg(3, 3).subject("three").add();
        assertThat(threads()).isEqualTo(" ((2)(1))(3)");
    }

    @Test void childrenAreOrderedByDateThenSequenceNumber() {
        msg(1, 1).add();
        msg(4, 2).refs("<m1@x>").add();
        msg(3, 3).refs("<m1@x>").add();
        msg(2, 3).refs("<m1@x>").add();
        assertThat(threads()).isEqualTo(" (1 (4)(2)(3))");
    }

    /** One message's References of 100,000 ids: a chain of dummies that deep, walked without recursion, in linear time. */
    @Test @Timeout(value = 10, unit = TimeUnit.SECONDS) void aHundredThousandReferencesMakeOneDeepChain() {
        String[] refs = new String[100_000];
        for (int i = 0; i < refs.length; i++) refs[i] = "<r" + i + "@x>";
        msg(1, 2).refs(refs).add();
        msg(2, 1).id("<r0@x>").add();
        msg(3, 3).id("<r50000@x>").add();
        // 3 has no References: the parent the chain gave it is dropped (step 1C)
        assertThat(threads()).isEqualTo(" (2)(3 1)");
    }

    /** 20,000 messages each replying to the one before: a thread 20,000 deep, written flat. */
    @Test @Timeout(value = 10, unit = TimeUnit.SECONDS) void aReplyChainTwentyThousandDeepIsThreaded() {
        int n = 20_000;
        StringBuilder expected = new StringBuilder(" (");
        for (int i = 1; i <= n; i++) {
            if (i == 1) msg(i, i).add();
            else msg(i, i).subject("Re: subject 1").refs("<m" + (i - 1) + "@x>").add();
            expected.append(i == 1 ? "" : " ").append(i);
        }
        assertThat(threads()).isEqualTo(expected.append(')').toString());
    }
}
