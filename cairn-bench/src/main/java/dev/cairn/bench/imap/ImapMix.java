// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.imap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The weighted choice of what a logged-in client does next. The default is close to
 * imaptest's stress profile: mostly flag fetches, body fetches and flag changes, with
 * appends and expunges in balance so mailboxes keep their size, some LIST/STATUS/NOOP, and
 * a LOGOUT (then a new login) every twenty operations or so.
 */
public record ImapMix(Map<Operation, Integer> weights) {

    /** The operations of the mix, with the names used in options and reports. */
    public enum Operation {
        SELECT("select"), FETCH_FLAGS("fetch-flags"), FETCH_BODY("fetch-body"), STORE("store"),
        EXPUNGE("expunge"), APPEND("append"), LIST("list"), STATUS("status"), NOOP("noop"), LOGOUT("logout");

        public final String label;

        Operation(String label) {
            this.label = label;
        }

        static Operation byLabel(String label) {
            for (Operation operation : values()) {
                if (operation.label.equals(label)) {
                    return operation;
                }
            }
            throw new IllegalArgumentException("unknown operation '" + label + "' (known: " + labels() + ")");
        }

        static String labels() {
            List<String> labels = new ArrayList<>();
            for (Operation operation : values()) {
                labels.add(operation.label);
            }
            return String.join(", ", labels);
        }
    }

    /** Every kind of operation a report may show: the mix's, plus login (which starts each session). */
    public static final List<String> KINDS = List.of("login", "select", "fetch-flags", "fetch-body", "store",
        "expunge", "append", "list", "status", "noop", "logout");

    public static final String DEFAULT_SPEC =
        "select=5,fetch-flags=20,fetch-body=15,store=20,expunge=10,append=10,list=5,status=5,noop=5,logout=5";

    public ImapMix {
        weights = Map.copyOf(weights);
        if (weights.values().stream().mapToInt(Integer::intValue).sum() <= 0) {
            throw new IllegalArgumentException("the mix has no operation with a positive weight");
        }
    }

    public static ImapMix defaults() {
        return parse(DEFAULT_SPEC);
    }

    /** {@code name=weight,...}; operations not named keep weight 0. */
    public static ImapMix parse(String spec) {
        Map<Operation, Integer> weights = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String[] pair = part.trim().split("=");
            if (pair.length != 2) {
                throw new IllegalArgumentException("mix entry '" + part + "' is not name=weight");
            }
            int weight;
            try {
                weight = Integer.parseInt(pair[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of " + pair[0] + " is not a number: " + pair[1]);
            }
            if (weight < 0) {
                throw new IllegalArgumentException("negative weight for " + pair[0]);
            }
            weights.put(Operation.byLabel(pair[0].trim().toLowerCase(Locale.ROOT)), weight);
        }
        return new ImapMix(weights);
    }

    public Operation pick(SplittableRandom random) {
        int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        int pick = random.nextInt(total);
        for (Operation operation : Operation.values()) {
            int weight = weights.getOrDefault(operation, 0);
            if (pick < weight) {
                return operation;
            }
            pick -= weight;
        }
        throw new AssertionError();
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Operation operation : Operation.values()) {
            int weight = weights.getOrDefault(operation, 0);
            if (weight > 0) {
                parts.add(operation.label + "=" + weight);
            }
        }
        return String.join(",", parts);
    }
}
