package io.torchtpu.launcher;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Runs Gogo command lines from outside the framework. The launcher does not share Gogo's classes,
 * so the CommandProcessor is called through its interface as the Gogo bundle loads it.
 */
final class GogoSession implements AutoCloseable {
    private static final String PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    private static final String SESSION = "org.apache.felix.service.command.CommandSession";

    private final BundleContext context;
    private final ServiceReference<?> reference;
    private final Object session;
    private final Method execute;
    private final Method close;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();

    GogoSession(BundleContext context) {
        this.context = context;
        try {
            ServiceReference<?>[] references = context.getAllServiceReferences(PROCESSOR, null);
            if (references == null) {
                throw new FeatureException("the Gogo shell is not running: add the shell feature");
            }
            reference = references[0];
            Object processor = context.getService(reference);
            Class<?> processorType = reference.getBundle().loadClass(PROCESSOR);
            Class<?> sessionType = reference.getBundle().loadClass(SESSION);
            PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
            // a command's System.err, and so the log lines written on its thread, go to the process's stderr as
            // they happen (System.err itself is Gogo's per-thread stream by now); into the output they stayed
            // unseen until the command ended, and `torchtpu bench` dropped them with its children's output
            PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
            session = processorType.getMethod("createSession", java.io.InputStream.class, java.io.OutputStream.class,
                    java.io.OutputStream.class).invoke(processor, new ByteArrayInputStream(new byte[0]), out, err);
            execute = sessionType.getMethod("execute", CharSequence.class);
            close = sessionType.getMethod("close");
        } catch (InvalidSyntaxException | ReflectiveOperationException e) {
            throw new IllegalStateException("cannot open a Gogo session: " + e, e);
        }
    }

    /** Runs one command line; returns what it printed and its result, as text. */
    String execute(String commandLine) {
        output.reset();
        try {
            Object result = execute.invoke(session, commandLine);
            String printed = output.toString(StandardCharsets.UTF_8);
            return result == null ? printed : printed + result;
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new FeatureException("`" + commandLine + "` failed: " + (cause.getMessage() == null ? cause : cause.getMessage()), cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot run `" + commandLine + "`: " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            close.invoke(session);
        } catch (ReflectiveOperationException e) {
            // the session is gone with the framework
        } finally {
            context.ungetService(reference);
        }
    }
}
