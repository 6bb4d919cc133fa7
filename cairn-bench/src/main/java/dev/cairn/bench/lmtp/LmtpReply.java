// SPDX-License-Identifier: Apache-2.0
package dev.cairn.bench.lmtp;

import java.util.List;

/** One SMTP/LMTP reply (RFC 5321 section 4.2): a three-digit code and its text lines. */
public record LmtpReply(int code, List<String> lines) {

    public boolean positive() {
        return code >= 200 && code < 300;
    }

    public boolean intermediate() {
        return code >= 300 && code < 400;
    }

    @Override
    public String toString() {
        return code + " " + String.join(" / ", lines);
    }
}
