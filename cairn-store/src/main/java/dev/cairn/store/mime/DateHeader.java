// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Locale;

/**
 * The calendar date a Date: header states, as its writer wrote it: RFC 9051 §6.4.4 has SENTBEFORE,
 * SENTON and SENTSINCE compare the Date: header "disregarding time and timezone", so
 * "Sun, 25 Mar 2007 00:00:00 +0200" is 25 March whatever instant it names in UTC.
 */
public final class DateHeader {
    private DateHeader() {}

    private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

    /**
     * The day, month and year of an RFC 5322 §3.3 date-time ("[day-of-week ,] day month year time
     * zone", comments and obsolete two-digit years allowed); null when the value has none.
     */
    public static LocalDate calendarDate(String value) {
        if (value == null) return null;
        String[] words = Header.stripComments(value).replace(',', ' ').strip().split("\\s+");
        int i = 0;
        if (i < words.length && isDayName(words[i])) i++;
        if (words.length - i < 3) return null;
        int day = number(words[i], 2);
        int month = month(words[i + 1]);
        int year = number(words[i + 2], 4);
        if (day < 1 || month < 1 || year < 0) return null;
        // RFC 5322 §4.3: a two-digit year below 50 is 20xx, otherwise 19xx; three digits add 1900.
        if (words[i + 2].length() == 2) year += year < 50 ? 2000 : 1900;
        else if (words[i + 2].length() == 3) year += 1900;
        try {
            return LocalDate.of(year, month, day);
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static boolean isDayName(String w) {
        return w.length() >= 3 && Character.isLetter(w.charAt(0)) && month(w) < 0;
    }

    private static int month(String w) {
        if (w.length() < 3) return -1;
        String m = w.substring(0, 3).toLowerCase(Locale.ROOT);
        for (int k = 0; k < MONTHS.length; k++) if (MONTHS[k].equals(m)) return k + 1;
        return -1;
    }

    private static int number(String w, int maxDigits) {
        if (w.isEmpty() || w.length() > maxDigits) return -1;
        int n = 0;
        for (int k = 0; k < w.length(); k++) {
            char c = w.charAt(k);
            if (c < '0' || c > '9') return -1;
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
