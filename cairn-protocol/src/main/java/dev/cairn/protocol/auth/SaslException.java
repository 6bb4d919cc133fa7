// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

/** A SASL response that does not decode (bad base64, wrong structure, over a size bound). */
public final class SaslException extends Exception {
    public SaslException(String message) { super(message); }
}
