// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What `cairn serve` does with an exception no code caught: a {@link VirtualMachineError} (out of
 * memory, an internal error of the JVM) means the process can no longer be trusted to serve, and
 * a node that lingers half-dead (its admin endpoint's thread gone, some listeners answering,
 * others not) is worse than one that is restarted. So the process halts at once with
 * {@link #EXIT_STATUS}, after one line on stderr if that still works; the service manager
 * restarts it. Every commit acknowledged so far is durable, so nothing is lost; the shutdown
 * hooks are skipped because they may need the memory or the threads that are gone.
 *
 * <p>A {@link StackOverflowError} is the exception: the JVM is whole after it (the stack is
 * unwound), and a client that found a deep recursion could otherwise restart the node at will.
 * The thread it ended is logged like any other failure. An OutOfMemoryError never gets here
 * under `./cairn serve`, whose JVM runs with -XX:+ExitOnOutOfMemoryError and exits with the same
 * status at the failed allocation, whichever thread caught it.
 */
public final class FatalErrors implements Thread.UncaughtExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(FatalErrors.class);
    /** The exit status of a node ended by a broken JVM; the JVM's own for ExitOnOutOfMemoryError. */
    public static final int EXIT_STATUS = 3;

    /** An error after which the process must end. */
    public static boolean isFatal(Throwable e) {
        return e instanceof VirtualMachineError && !(e instanceof StackOverflowError);
    }

    @Override
    public void uncaughtException(Thread thread, Throwable e) {
        if (isFatal(e)) {
            try {
                System.err.println("cairn: " + e + " in thread " + thread.getName() + "; exiting with status " + EXIT_STATUS);
                System.err.flush();
            } catch (Throwable ignored) {
                // Nothing left to tell it with; end anyway.
            } finally {
                Runtime.getRuntime().halt(EXIT_STATUS);
            }
        }
        log.error("thread {} ended by an exception no code caught", thread.getName(), e);
    }
}
