// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class DateHeaderTest {
    @Test void theCalendarDateAsWrittenWhateverTheZone() {
        assertThat(DateHeader.calendarDate("Sun, 25 Mar 2007 00:00:00 +0200")).isEqualTo(LocalDate.of(2007, 3, 25));
        assertThat(DateHeader.calendarDate("Sun, 25 Mar 2007 23:59:59 -1200")).isEqualTo(LocalDate.of(2007, 3, 25));
        assertThat(DateHeader.calendarDate("25 Mar 2007 12:00 +0000")).isEqualTo(LocalDate.of(2007, 3, 25));
        assertThat(DateHeader.calendarDate(" (comment) Sun,25 MAR 2007 01:02:03 GMT")).isEqualTo(LocalDate.of(2007, 3, 25));
        assertThat(DateHeader.calendarDate("Thursday, 1 Feb 2001 10:00:00 EST")).isEqualTo(LocalDate.of(2001, 2, 1));
    }

    @Test void obsoleteYearsFollowRfc5322Section4_3() {
        assertThat(DateHeader.calendarDate("Mon, 26 Mar 07 09:00:00 +1400")).isEqualTo(LocalDate.of(2007, 3, 26));
        assertThat(DateHeader.calendarDate("Mon, 26 Mar 49 09:00:00 +0000")).isEqualTo(LocalDate.of(2049, 3, 26));
        assertThat(DateHeader.calendarDate("Mon, 26 Mar 50 09:00:00 +0000")).isEqualTo(LocalDate.of(1950, 3, 26));
        assertThat(DateHeader.calendarDate("Mon, 26 Mar 107 09:00:00 +0000")).isEqualTo(LocalDate.of(2007, 3, 26));
    }

    @Test void noDateWhereThereIsNone() {
        assertThat(DateHeader.calendarDate(null)).isNull();
        assertThat(DateHeader.calendarDate("")).isNull();
        assertThat(DateHeader.calendarDate("not a date at all")).isNull();
        assertThat(DateHeader.calendarDate("31 Feb 2007 00:00:00 +0000")).isNull();
        assertThat(DateHeader.calendarDate("2007-03-25T00:00:00Z")).isNull();
        assertThat(DateHeader.calendarDate("Sun, 25 Mar")).isNull();
    }
}
