// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The messages a run sends: corpus messages 0..size-1, rendered once before the clients start
 * (so rendering never shows up as server latency). It also recognises a message fetched back
 * from a server by its {@link Corpus#HEADER} header, when it came from the same corpus.
 */
public final class MessagePool {

    private final Corpus corpus;
    private final Corpus.Message[] messages;
    private final Map<Integer, Corpus.Message> outside = new ConcurrentHashMap<>();
    private final String headerPrefix;

    public MessagePool(Corpus corpus, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("message pool needs at least one message");
        }
        this.corpus = corpus;
        this.messages = IntStream.range(0, size).parallel().mapToObj(corpus::message).toArray(Corpus.Message[]::new);
        this.headerPrefix = Corpus.HEADER + ": " + corpus.name() + "-";
    }

    public Corpus.Message pick(SplittableRandom random) {
        return messages[random.nextInt(messages.length)];
    }

    public int size() {
        return messages.length;
    }

    public long totalBytes() {
        return Arrays.stream(messages).mapToLong(Corpus.Message::size).sum();
    }

    /**
     * The corpus message a fetched body claims to be (by its first-header-block
     * {@link Corpus#HEADER} line), or null when it names no message of this corpus.
     */
    public Corpus.Message identify(byte[] body) {
        int limit = Math.min(body.length, 16 * 1024);
        String head = new String(body, 0, limit, StandardCharsets.ISO_8859_1);
        int end = head.indexOf("\r\n\r\n");
        int at = head.indexOf(headerPrefix);
        if (at < 0 || (end >= 0 && at > end) || (at > 0 && head.charAt(at - 1) != '\n')) {
            return null;
        }
        int from = at + headerPrefix.length();
        int to = head.indexOf("\r\n", from);
        if (to < 0) {
            return null;
        }
        int index;
        try {
            index = Integer.parseInt(head.substring(from, to));
        } catch (NumberFormatException e) {
            return null;
        }
        if (index < 0) {
            return null;
        }
        return index < messages.length ? messages[index] : outside.computeIfAbsent(index, corpus::message);
    }

    /**
     * Whether {@code body} is {@code message}, allowing header lines a delivering server put in
     * front of it (Return-Path, Delivered-To, Received: RFC 5321 section 4.4).
     */
    public static boolean matches(byte[] body, Corpus.Message message, boolean exact) {
        byte[] expected = message.bytes();
        if (exact) {
            return Arrays.equals(body, expected);
        }
        int offset = body.length - expected.length;
        if (offset < 0 || (offset > 0 && (offset < 2 || body[offset - 2] != '\r' || body[offset - 1] != '\n'))) {
            return false;
        }
        return Arrays.equals(body, offset, body.length, expected, 0, expected.length);
    }
}
