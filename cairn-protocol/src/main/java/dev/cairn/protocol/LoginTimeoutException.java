// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol;

/**
 * The client did not log in within {@link ConnectionLimits#loginTimeout()} of connecting. Like an
 * idle timeout, the connection can still be written to, so the protocol says goodbye and closes.
 */
public final class LoginTimeoutException extends IdleTimeoutException {
    public LoginTimeoutException() { super("no login within the login timeout", null); }
}
