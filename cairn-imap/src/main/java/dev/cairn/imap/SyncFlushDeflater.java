// SPDX-License-Identifier: Apache-2.0
package dev.cairn.imap;

import java.io.IOException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * DEFLATE that sync-flushes at each flush, but only when something was written since the last
 * one: an empty flush still emits a sync marker, which some clients (mbsync) read as an empty
 * response when it arrives on its own.
 */
final class SyncFlushDeflater extends DeflaterOutputStream {
    private boolean dirty;

    SyncFlushDeflater(java.io.OutputStream out) {
        super(out, new Deflater(Deflater.DEFAULT_COMPRESSION, true), 4096, true);
    }

    @Override public void write(int b) throws IOException {
        dirty = true;
        super.write(b);
    }

    @Override public void write(byte[] b, int off, int len) throws IOException {
        if (len > 0) dirty = true;
        super.write(b, off, len);
    }

    @Override public void flush() throws IOException {
        if (!dirty) return;
        dirty = false;
        super.flush();
    }

    @Override public void close() throws IOException {
        def.end();
        out.close();
    }
}