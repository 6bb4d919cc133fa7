// SPDX-License-Identifier: Apache-2.0
package dev.cairn.proxy;

import dev.cairn.lmtp.RecipientResolver;
import java.time.Duration;
import java.util.Objects;

/**
 * An LMTP front-end's resolver: the directory says who a recipient is (unknown and disabled
 * addresses stay 550 here, since every node shares the directory, and are never forwarded), the
 * {@link Locator} where that user is served now: here (delivered locally), on another node
 * ({@link RecipientResolver.Lookup.Elsewhere} with that node's LMTP {@link Backend} as target,
 * for {@link LmtpForwarder}), or nowhere now (451 4.3.0: the MTA retries).
 */
public final class RelayingRecipients implements RecipientResolver {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RelayingRecipients.class);

    /**
     * How long a RCPT waits for a master while its store has none. Short: RCPTs are answered one
     * after the other, so the wait adds up over a transaction's recipients of that store, and the
     * MTA keeps a deferred recipient and retries on its own. One second covers a master being
     * named right now without holding a 100-recipient transaction for minutes.
     */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(1);

    private final RecipientResolver directory;
    private final Locator locator;
    private final Duration wait;

    public RelayingRecipients(RecipientResolver directory, Locator locator, Duration wait) {
        this.directory = Objects.requireNonNull(directory);
        this.locator = Objects.requireNonNull(locator);
        this.wait = Objects.requireNonNull(wait);
    }

    @Override public Lookup resolve(String address) {
        Lookup lookup = directory.resolve(address);
        if (!(lookup instanceof Lookup.Found found)) return lookup;
        Location location;
        try {
            location = locator.locate("lmtp", found.recipient().user(), wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Lookup.Unavailable("Interrupted while locating the mailbox, try again later");
        }
        return switch (location) {
            case Location.Here here -> found;
            case Location.At at -> new Lookup.Elsewhere(found.recipient(), at.backend());
            case Location.Nowhere nowhere -> {
                log.warn("lmtp: no master for {} now: {}", found.recipient().user(), nowhere.reason());
                yield new Lookup.Unavailable("Mailbox store temporarily unavailable, try again later");
            }
        };
    }
}
