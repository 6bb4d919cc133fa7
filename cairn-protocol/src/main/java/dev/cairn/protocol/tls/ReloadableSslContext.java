// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.tls;

import java.security.SecureRandom;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * An SSLContext whose certificate, key and trust can be replaced while listeners hold it: every
 * handshake that starts after {@link #replace} uses the new context, a connection already
 * established keeps what it was made with. The listeners are handed this one object at start, so
 * a reload ({@code cairn reload}) reaches them without handing them anything new.
 */
public final class ReloadableSslContext extends SSLContext {
    private final Delegate delegate;

    private ReloadableSslContext(Delegate delegate, SSLContext first) {
        super(delegate, first.getProvider(), first.getProtocol());
        this.delegate = delegate;
    }

    public static ReloadableSslContext of(SSLContext first) {
        return new ReloadableSslContext(new Delegate(Objects.requireNonNull(first)), first);
    }

    /** Handshakes from now on use {@code next}. */
    public void replace(SSLContext next) { delegate.current = Objects.requireNonNull(next); }

    /** Every call goes to the current context (read once per call: one handshake sees one context). */
    private static final class Delegate extends SSLContextSpi {
        volatile SSLContext current;

        Delegate(SSLContext first) { current = first; }

        @Override protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
            throw new UnsupportedOperationException("made from an initialised context; replace() changes it");
        }

        @Override protected SSLSocketFactory engineGetSocketFactory() { return current.getSocketFactory(); }

        @Override protected SSLServerSocketFactory engineGetServerSocketFactory() { return current.getServerSocketFactory(); }

        @Override protected SSLEngine engineCreateSSLEngine() { return current.createSSLEngine(); }

        @Override protected SSLEngine engineCreateSSLEngine(String host, int port) { return current.createSSLEngine(host, port); }

        @Override protected SSLSessionContext engineGetServerSessionContext() { return current.getServerSessionContext(); }

        @Override protected SSLSessionContext engineGetClientSessionContext() { return current.getClientSessionContext(); }

        @Override protected SSLParameters engineGetDefaultSSLParameters() { return current.getDefaultSSLParameters(); }

        @Override protected SSLParameters engineGetSupportedSSLParameters() { return current.getSupportedSSLParameters(); }
    }
}
