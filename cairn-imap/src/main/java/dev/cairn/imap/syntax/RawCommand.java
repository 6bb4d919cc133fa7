// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap.syntax;

import dev.cairn.protocol.MemoryBudget;
import java.util.List;

/**
 * One command as read from the wire: its text pieces and the literals between them, in order
 * (RFC 9051 §2.2.1: a literal's octets replace the {@code {N}} that announced them).
 *
 * @param memory the node's memory its lines and literals hold, given back at {@link #close()}; or null
 */
public record RawCommand(List<Segment> segments, MemoryBudget.Lease memory) implements AutoCloseable {
    public RawCommand(List<Segment> segments) { this(segments, null); }

    public sealed interface Segment permits Text, Literal {}

    /** Command text between literals: printable octets, never CR, LF or NUL. */
    public record Text(byte[] bytes) implements Segment {}

    @Override public void close() {
        for (Segment s : segments) if (s instanceof Literal l) l.close();
        if (memory != null) memory.close();
    }
}
