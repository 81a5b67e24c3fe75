package io.torchtpu.launcher;

import java.io.PrintWriter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A line on stderr every two seconds while a command takes longer than one, so a long compile is not silence. */
final class Progress implements AutoCloseable {
    private final ScheduledExecutorService ticker;

    private Progress(ScheduledExecutorService ticker) {
        this.ticker = ticker;
    }

    static Progress start(String what, PrintWriter err) {
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "torchtpu-progress");
            thread.setDaemon(true);
            return thread;
        });
        long start = System.nanoTime();
        String shown = what.length() > 60 ? what.substring(0, 57) + "..." : what;
        ticker.scheduleAtFixedRate(() -> {
            err.printf("  ... %s: %d s%n", shown, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
            err.flush();
        }, 1, 2, TimeUnit.SECONDS);
        return new Progress(ticker);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
