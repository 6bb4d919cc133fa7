// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.mime;

import dev.cairn.store.ParsedMessage.Parameter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Content-Type (RFC 2045 §5.1) and Content-Disposition (RFC 2183) with parameters, RFC 2231
 * continuations ({@code name*0=}, {@code name*1*=}) joined and charset-decoded. Anything that does
 * not parse gives the RFC 2045 default, text/plain; charset=us-ascii.
 */
final class ContentType {
    /** Parameters kept of one field; more are ignored (a header line of 200,000 took minutes, Dovecot CVE-2026-27859). */
    static final int MAX_PARAMETERS = 100;

    final String type, subtype;
    final List<Parameter> parameters;

    private ContentType(String type, String subtype, List<Parameter> parameters) {
        this.type = type; this.subtype = subtype; this.parameters = parameters;
    }

    String parameter(String name) {
        for (Parameter p : parameters) if (p.name().equalsIgnoreCase(name)) return p.value();
        return null;
    }

    static ContentType parse(String value, boolean digest) {
        ContentType fallback = digest
                ? new ContentType("message", "rfc822", List.of())
                : new ContentType("text", "plain", List.of(new Parameter("charset", "us-ascii")));
        if (value == null) return fallback;
        Tokens t = new Tokens(Header.stripComments(value));
        String type = t.token(), slash = t.special();
        String subtype = "/".equals(slash) ? t.token() : null;
        if (type == null || type.isEmpty() || subtype == null || subtype.isEmpty()) return fallback;
        return new ContentType(type.toLowerCase(Locale.ROOT), subtype.toLowerCase(Locale.ROOT), parameters(t));
    }

    static ContentType parseDisposition(String value) {
        Tokens t = new Tokens(Header.stripComments(value));
        String type = t.token();
        if (type == null || type.isEmpty()) return null;
        return new ContentType(type.toLowerCase(Locale.ROOT), null, parameters(t));
    }

    private static List<Parameter> parameters(Tokens t) {
        // name -> value, with RFC 2231 sections gathered per base name in order of appearance.
        Map<String, String> plain = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, String[]>> sections = new LinkedHashMap<>();
        LinkedHashSet<String> order = new LinkedHashSet<>();
        while (order.size() < MAX_PARAMETERS) {
            String sep = t.special();
            if (sep == null) break;
            if (!";".equals(sep)) continue;
            String name = t.token();
            if (name == null || name.isEmpty()) continue;
            if (!"=".equals(t.special())) continue;
            String v = t.value();
            if (v == null) v = "";
            name = name.toLowerCase(Locale.ROOT);
            int star = name.indexOf('*');
            if (star < 0) {
                order.add(name);
                plain.putIfAbsent(name, v);
                continue;
            }
            String base = name.substring(0, star);
            if (base.isEmpty()) continue; // "*=x": a section of no parameter
            String rest = name.substring(star + 1);
            boolean extended = rest.endsWith("*") || rest.isEmpty();
            String num = rest.endsWith("*") ? rest.substring(0, rest.length() - 1) : rest;
            int n = 0;
            try {
                if (!num.isEmpty()) n = Integer.parseInt(num);
            } catch (NumberFormatException e) {
                continue;
            }
            if (n < 0 || n > 999) continue;
            order.add(base);
            sections.computeIfAbsent(base, k -> new TreeMap<>()).put(n, new String[] {v, extended ? "*" : ""});
        }
        List<Parameter> out = new ArrayList<>();
        for (String name : order) {
            TreeMap<Integer, String[]> s = sections.get(name);
            if (s != null) out.add(new Parameter(name, join(s)));
            else out.add(new Parameter(name, plain.get(name)));
        }
        return out;
    }

    /** Joins RFC 2231 sections; the first extended one may name a charset: charset'language'%XX... */
    private static String join(TreeMap<Integer, String[]> sections) {
        Charset charset = StandardCharsets.US_ASCII;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StringBuilder text = new StringBuilder();
        boolean first = true;
        for (var e : sections.entrySet()) {
            String v = e.getValue()[0];
            boolean extended = !e.getValue()[1].isEmpty();
            if (extended) {
                if (first) {
                    int a = v.indexOf('\''), b = a < 0 ? -1 : v.indexOf('\'', a + 1);
                    if (b > a) {
                        Charset c = MimeParser.charset(v.substring(0, a));
                        if (c != null) charset = c;
                        else if (!v.substring(0, a).isEmpty()) charset = StandardCharsets.ISO_8859_1;
                        v = v.substring(b + 1);
                    }
                }
                for (int i = 0; i < v.length(); i++) {
                    char c = v.charAt(i);
                    if (c == '%' && i + 2 < v.length() && hex(v.charAt(i + 1)) >= 0 && hex(v.charAt(i + 2)) >= 0) {
                        bytes.write(hex(v.charAt(i + 1)) * 16 + hex(v.charAt(i + 2)));
                        i += 2;
                    } else {
                        byte[] raw = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                        bytes.write(raw, 0, raw.length);
                    }
                }
            } else {
                text.append(new String(bytes.toByteArray(), charset));
                bytes.reset();
                text.append(v);
            }
            first = false;
        }
        text.append(new String(bytes.toByteArray(), charset));
        return text.toString();
    }

    private static int hex(char c) { return Character.digit(c, 16); }

    /** A tiny RFC 2045 tokenizer: tokens, quoted strings, tspecials. */
    private static final class Tokens {
        private final String s;
        private int i;

        Tokens(String s) { this.s = s; }

        private void skipSpace() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        private static boolean special(char c) { return "()<>@,;:\\\"/[]?=".indexOf(c) >= 0; }

        String token() {
            skipSpace();
            int start = i;
            while (i < s.length() && !special(s.charAt(i)) && !Character.isWhitespace(s.charAt(i))) i++;
            return s.substring(start, i);
        }

        /** The next special character (skipping anything that is not one), or null at the end. */
        String special() {
            skipSpace();
            while (i < s.length() && !special(s.charAt(i))) i++;
            if (i >= s.length()) return null;
            return String.valueOf(s.charAt(i++));
        }

        String value() {
            skipSpace();
            if (i < s.length() && s.charAt(i) == '"') {
                StringBuilder out = new StringBuilder();
                i++;
                while (i < s.length() && s.charAt(i) != '"') {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < s.length()) c = s.charAt(i++);
                    out.append(c);
                }
                i++;
                return out.toString();
            }
            int start = i;
            // Lenient: a value runs to ';' (unquoted values with spaces or '/' are common in the wild).
            while (i < s.length() && s.charAt(i) != ';') i++;
            return s.substring(start, i).strip();
        }
    }
}
