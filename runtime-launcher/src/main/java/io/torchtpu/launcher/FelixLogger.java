package io.torchtpu.launcher;

import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends the framework's own messages (resolver errors, bundle exceptions) to SLF4J. */
final class FelixLogger extends org.apache.felix.framework.Logger {
    private static final Logger LOG = LoggerFactory.getLogger("org.apache.felix.framework");

    FelixLogger() {
        setLogLevel(LOG.isDebugEnabled() ? LOG_DEBUG : LOG.isInfoEnabled() ? LOG_INFO : LOG_WARNING);
    }

    @Override
    @SuppressWarnings("rawtypes")
    protected void doLog(Bundle bundle, ServiceReference reference, int level, String message, Throwable throwable) {
        String text = bundle == null ? message : bundle.getSymbolicName() + ": " + message;
        switch (level) {
            case LOG_ERROR -> LOG.error(text, throwable);
            case LOG_WARNING -> LOG.warn(text, throwable);
            case LOG_INFO -> LOG.info(text, throwable);
            default -> LOG.debug(text, throwable);
        }
    }
}
