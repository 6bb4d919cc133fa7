// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Realistic messages generated deterministically from (seed, index): the same pair always
 * gives the same bytes, on every machine, so two runs (and two servers) get the same mail.
 *
 * <p>Every message starts with an {@value #HEADER} header naming its seed and index, so a body
 * fetched back from a server can be matched with the message it must be, even when it was
 * appended by an earlier run or delivered over LMTP with trace headers prepended.
 *
 * <p>Sizes follow a heavy-tailed distribution like a real mailbox's: most messages are a few
 * KiB of text, a few carry attachments of hundreds of KiB to 5 MiB (see {@link #SIZE_BUCKETS}).
 */
public final class Corpus {

    public static final String HEADER = "X-Cairn-Bench";
    public static final int MIN_SIZE = 1024;
    public static final int MAX_SIZE = 5 * 1024 * 1024;

    /** Share of messages (per mille) and size range per bucket; within a bucket sizes are log-uniform. */
    static final int[][] SIZE_BUCKETS = {
        {350, 1024, 4 * 1024},
        {300, 4 * 1024, 16 * 1024},
        {170, 16 * 1024, 64 * 1024},
        {100, 64 * 1024, 256 * 1024},
        {50, 256 * 1024, 1024 * 1024},
        {30, 1024 * 1024, MAX_SIZE},
    };

    public enum Kind { PLAIN, ALTERNATIVE, HTML, ATTACHMENT }

    /** One message: its bytes (CRLF line ends) and their SHA-256. */
    public record Message(long seed, int index, Kind kind, boolean nonAsciiHeaders, byte[] bytes, byte[] sha256) {
        public int size() {
            return bytes.length;
        }

        public String id() {
            return seed + "-" + index;
        }
    }

    private static final String[] WORDS = (
        "the of and to in is that it for on with as was be at by this have from or one had not but what "
        + "all were when we there can an your which their said if do will each about how up out them then "
        + "she many some so these would other into has more her two like him see time could no make than "
        + "first been its who now people my made over did down only way find use may water long little very "
        + "after words called just where most know get through back much before go good new write our used "
        + "me man too any day same right look think also around another came come work three word must because "
        + "does part even place well such here take why things help put years different away again off went "
        + "old number great tell men say small every found still between name should home big give air line "
        + "set own under read last never us left end along while might next sound below saw something thought "
        + "both few those always looked show large often together asked house world going want school important "
        + "invoice meeting schedule quarterly report attached please review budget deadline project release "
        + "server mailbox delivery storage replica cluster failover customer support ticket agenda minutes").split(" ");

    private static final String[] NAMES = {
        "Alice Martin", "Bob Schulz", "Carla Rossi", "David Kim", "Emma Dubois", "Farid Haddad",
        "Grace Okafor", "Hiro Tanaka", "Ines Garcia", "Jonas Berg", "Katya Ivanova", "Liam Walsh",
    };

    /** Display names that need RFC 2047 encoded words. */
    private static final String[] NON_ASCII_NAMES = {
        "Jürgen Müller", "Zoë Lefèvre", "Søren Kierkegård", "Łukasz Żółw", "Ана Петрова",
        "田中 太郎", "Ελένη Παπαδοπούλου", "José Ñúñez",
    };

    private static final String[] NON_ASCII_SUBJECTS = {
        "Grüße aus Köln – Résumé", "Предложение по проекту", "会議の議事録", "Çalışma planı ✔",
        "Réunion à 14h: ordre du jour", "Ταξίδι στην Αθήνα",
    };

    private static final Instant EPOCH = Instant.parse("2025-01-01T08:00:00Z");
    private static final DateTimeFormatter DATE =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final long seed;
    private final int minSize;
    private final int maxSize;

    public Corpus(long seed) {
        this(seed, MAX_SIZE);
    }

    /** A corpus whose messages are at most {@code maxSize} bytes (the size distribution is cut there). */
    public Corpus(long seed, int maxSize) {
        this(seed, MIN_SIZE, maxSize);
    }

    /**
     * A corpus whose sizes are the distribution clamped to [minSize, maxSize]: equal bounds give
     * messages of one size (within a few %), e.g. the 10 KiB deliveries of a delivery benchmark.
     */
    public Corpus(long seed, int minSize, int maxSize) {
        if (minSize < MIN_SIZE || maxSize < minSize) {
            throw new IllegalArgumentException("sizes must be " + MIN_SIZE + " <= min <= max bytes: " + minSize + ", " + maxSize);
        }
        this.seed = seed;
        this.minSize = minSize;
        this.maxSize = maxSize;
    }

    public long seed() {
        return seed;
    }

    /**
     * What names this corpus in the {@link #HEADER} header: the seed, and the size cap when there
     * is one (a capped corpus renders other bytes for the same index).
     */
    public String name() {
        String name = maxSize == MAX_SIZE ? Long.toString(seed) : seed + "m" + maxSize;
        return minSize == MIN_SIZE ? name : name + "n" + minSize;
    }

    /** The message number {@code index} of this corpus; the same for every call. */
    public Message message(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("negative index " + index);
        }
        SplittableRandom random = new SplittableRandom(mix(seed, index));
        int target = Math.clamp(targetSize(random), minSize, maxSize);
        boolean nonAscii = random.nextInt(5) == 0;
        Kind kind;
        if (target >= 64 * 1024) {
            kind = random.nextInt(4) == 0 ? Kind.HTML : Kind.ATTACHMENT;
        } else {
            int r = random.nextInt(100);
            kind = r < 45 ? Kind.PLAIN : r < 75 ? Kind.ALTERNATIVE : r < 85 ? Kind.HTML : Kind.ATTACHMENT;
        }
        // Small multipart messages carry proportionally more structure than the renderer plans
        // for: render again with a larger budget until the message reaches its size.
        int floor = Math.max(MIN_SIZE, target * 9 / 10);
        int budget = target;
        byte[] bytes;
        for (int attempt = 0; ; attempt++) {
            bytes = new Builder(new SplittableRandom(mix(seed, index) ^ 0x5DEECE66DL), index, kind, nonAscii, budget)
                .build();
            if (bytes.length >= floor || attempt == 4) {
                break;
            }
            budget += floor - bytes.length + 64;
        }
        return new Message(seed, index, kind, nonAscii, bytes, sha256(bytes));
    }

    /** The size message {@code index} is rendered to (within a few %). */
    int plannedSize(int index) {
        return Math.clamp(targetSize(new SplittableRandom(mix(seed, index))), minSize, maxSize);
    }

    /** The size drawn for a message before it is rendered (rendering lands within a few % of it). */
    static int targetSize(SplittableRandom random) {
        int pick = random.nextInt(1000);
        for (int[] bucket : SIZE_BUCKETS) {
            if (pick < bucket[0]) {
                double low = Math.log(bucket[1]), high = Math.log(bucket[2]);
                return (int) Math.exp(low + random.nextDouble() * (high - low));
            }
            pick -= bucket[0];
        }
        throw new AssertionError("bucket shares must add up to 1000");
    }

    public static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long mix(long seed, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Renders one message of about {@code target} bytes. */
    private final class Builder {
        private final SplittableRandom random;
        private final int index;
        private final Kind kind;
        private final boolean nonAscii;
        private final int target;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Builder(SplittableRandom random, int index, Kind kind, boolean nonAscii, int target) {
            this.random = random;
            this.index = index;
            this.kind = kind;
            this.nonAscii = nonAscii;
            this.target = target;
        }

        byte[] build() {
            String boundary = "=_cairn_" + Long.toHexString(random.nextLong());
            headers(boundary);
            switch (kind) {
                case PLAIN -> {
                    line("Content-Type: text/plain; charset=UTF-8");
                    line("Content-Transfer-Encoding: " + (nonAscii ? "8bit" : "7bit"));
                    line("");
                    text(remaining(2));
                }
                case HTML -> {
                    line("Content-Type: text/html; charset=UTF-8");
                    line("Content-Transfer-Encoding: 7bit");
                    line("");
                    html(remaining(2));
                }
                case ALTERNATIVE -> {
                    line("Content-Type: multipart/alternative; boundary=\"" + boundary + "\"");
                    line("");
                    line("This is a multi-part message in MIME format.");
                    int share = remaining(boundary.length() * 3 + 200);
                    part(boundary, "text/plain; charset=UTF-8", "7bit");
                    text(share / 3);
                    part(boundary, "text/html; charset=UTF-8", "7bit");
                    html(share - share / 3);
                    line("--" + boundary + "--");
                }
                case ATTACHMENT -> {
                    line("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"");
                    line("");
                    line("This is a multi-part message in MIME format.");
                    part(boundary, "text/plain; charset=UTF-8", "7bit");
                    text(Math.min(3000, remaining(0) / 8));
                    int attachments = remaining(0) > 256 * 1024 && random.nextBoolean() ? 2 : 1;
                    for (int a = 0; a < attachments; a++) {
                        String[] type = attachmentType();
                        int left = remaining(boundary.length() * (attachments - a + 1) + 300);
                        attachment(boundary, type, left / (attachments - a));
                    }
                    line("--" + boundary + "--");
                }
            }
            return out.toByteArray();
        }

        private int remaining(int reserve) {
            return Math.max(64, target - out.size() - reserve);
        }

        private void headers(String boundary) {
            Instant date = EPOCH.plusSeconds(index * 1237L + random.nextInt(600));
            line(HEADER + ": " + name() + "-" + index);
            line("Message-ID: <" + seed + "." + index + "." + Long.toHexString(random.nextLong()) + "@bench.cairn.dev>");
            line("Date: " + DATE.format(date));
            if (nonAscii) {
                line("From: " + encodedWord(NON_ASCII_NAMES[random.nextInt(NON_ASCII_NAMES.length)])
                    + " <" + address(random.nextInt(NAMES.length)) + ">");
                line("Subject: " + encodedWord(NON_ASCII_SUBJECTS[random.nextInt(NON_ASCII_SUBJECTS.length)]));
            } else {
                int from = random.nextInt(NAMES.length);
                line("From: " + NAMES[from] + " <" + address(from) + ">");
                line("Subject: " + sentence(3 + random.nextInt(6), false));
            }
            int to = random.nextInt(NAMES.length);
            line("To: " + NAMES[to] + " <" + address(to) + ">");
            if (random.nextInt(3) == 0) {
                int cc = random.nextInt(NAMES.length);
                line("Cc: " + NAMES[cc] + " <" + address(cc) + ">");
            }
            line("MIME-Version: 1.0");
            line("X-Mailer: cairn-bench corpus");
        }

        private void part(String boundary, String type, String encoding) {
            line("");
            line("--" + boundary);
            line("Content-Type: " + type);
            line("Content-Transfer-Encoding: " + encoding);
            line("");
        }

        private String[] attachmentType() {
            return switch (random.nextInt(4)) {
                case 0 -> new String[] {"application/pdf", "report-" + index + ".pdf"};
                case 1 -> new String[] {"image/jpeg", "photo-" + index + ".jpg"};
                case 2 -> new String[] {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "budget.xlsx"};
                default -> new String[] {"application/zip", "archive-" + index + ".zip"};
            };
        }

        /** A base64 attachment whose encoded form is about {@code size} bytes. */
        private void attachment(String boundary, String[] type, int size) {
            line("");
            line("--" + boundary);
            line("Content-Type: " + type[0] + "; name=\"" + type[1] + "\"");
            line("Content-Disposition: attachment; filename=\"" + type[1] + "\"");
            line("Content-Transfer-Encoding: base64");
            line("");
            int raw = Math.max(3, size / 78 * 57);
            byte[] data = new byte[raw];
            random.nextBytes(data);
            byte[] encoded = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encode(data);
            out.writeBytes(encoded);
            line("");
        }

        private void text(int size) {
            int start = out.size();
            if (nonAscii && kind == Kind.PLAIN) {
                line("Grüße, " + NON_ASCII_NAMES[random.nextInt(NON_ASCII_NAMES.length)] + " — voilà.");
            }
            while (out.size() - start < size) {
                line(sentence(6 + random.nextInt(8), true));
                if (random.nextInt(6) == 0) {
                    line("");
                }
            }
        }

        private void html(int size) {
            int start = out.size();
            line("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + sentence(3, false) + "</title></head>");
            line("<body style=\"font-family: Arial, sans-serif\">");
            while (out.size() - start < size - 20) {
                line("<p class=\"c" + random.nextInt(9) + "\">" + sentence(6 + random.nextInt(8), true)
                    + " <a href=\"https://example.com/" + Integer.toHexString(random.nextInt()) + "\">"
                    + WORDS[random.nextInt(WORDS.length)] + "</a></p>");
            }
            line("</body></html>");
        }

        private String sentence(int words, boolean period) {
            StringBuilder s = new StringBuilder();
            for (int w = 0; w < words; w++) {
                String word = WORDS[random.nextInt(WORDS.length)];
                if (w == 0) {
                    word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                }
                s.append(w == 0 ? "" : " ").append(word);
            }
            return period ? s.append('.').toString() : s.toString();
        }

        private String address(int person) {
            return NAMES[person].toLowerCase(Locale.ROOT).replace(' ', '.') + "@example.com";
        }

        private void line(String text) {
            out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
            out.write('\r');
            out.write('\n');
        }
    }

    /** An RFC 2047 encoded word (B encoding; short enough for one word here). */
    static String encodedWord(String text) {
        return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) + "?=";
    }
}
