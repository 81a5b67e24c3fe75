package io.torchtpu.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory from /proc/self/status (Linux); -1 where it cannot be read. */
final class ProcessMemory {
    private ProcessMemory() {
    }

    /** The peak resident set size (VmHWM) in MiB. */
    static double peakResidentMiB() {
        return field("VmHWM:");
    }

    static double residentMiB() {
        return field("VmRSS:");
    }

    private static double field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc is not mounted
        }
        return -1;
    }
}
