package io.torchtpu.launcher;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards every OSGi Log Service entry to SLF4J, under the entry's logger name (the bundle's
 * symbolic name when it gave none), so that one logback.xml governs the bundles and the launcher.
 */
final class OsgiLogBridge implements LogListener, AutoCloseable {
    private final ServiceTracker<LogReaderService, LogReaderService> tracker;

    OsgiLogBridge(BundleContext context) {
        tracker = new ServiceTracker<>(context, LogReaderService.class, null) {
            @Override
            public LogReaderService addingService(ServiceReference<LogReaderService> reference) {
                LogReaderService reader = super.addingService(reference);
                reader.addLogListener(OsgiLogBridge.this);
                return reader;
            }

            @Override
            public void removedService(ServiceReference<LogReaderService> reference, LogReaderService reader) {
                reader.removeLogListener(OsgiLogBridge.this);
                super.removedService(reference, reader);
            }
        };
        tracker.open();
    }

    @Override
    public void logged(LogEntry entry) {
        Logger logger = LoggerFactory.getLogger(loggerName(entry));
        String message = entry.getMessage();
        Throwable exception = entry.getException();
        switch (entry.getLogLevel()) {
            case AUDIT, ERROR -> logger.error(message, exception);
            case WARN -> logger.warn(message, exception);
            case INFO -> logger.info(message, exception);
            case DEBUG -> logger.debug(message, exception);
            case TRACE -> logger.trace(message, exception);
            default -> logger.info(message, exception);
        }
    }

    private static String loggerName(LogEntry entry) {
        String name = entry.getLoggerName();
        if (name != null && !name.isEmpty() && !"LogService".equals(name)) {
            return name;
        }
        return entry.getBundle() == null ? "osgi" : entry.getBundle().getSymbolicName();
    }

    @Override
    public void close() {
        tracker.close();
    }
}
