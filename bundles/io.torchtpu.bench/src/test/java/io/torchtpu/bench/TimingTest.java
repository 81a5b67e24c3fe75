package io.torchtpu.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimingTest {

    @Test
    void percentilesAreNearestRank() {
        long[] sorted = new long[100];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = i + 1;
        }
        assertEquals(50, Timing.percentile(sorted, 0.50));
        assertEquals(99, Timing.percentile(sorted, 0.99));
        assertEquals(7, Timing.percentile(new long[] {7}, 0.99));
    }

    @Test
    void spreadIsTheRangeOfTheRoundsOverTheirMedian() {
        Map<String, Object> summary = Timing.summary(List.of(1_000_000L, 2_000_000L, 3_000_000L), new double[] {90, 100, 110});
        assertEquals(100.0, (double) summary.get("throughput_per_s"));
        assertEquals(20.0, (double) summary.get("spread_pct"), 1e-9);
        assertEquals(2.0, (double) summary.get("p50_ms"));
    }

    @Test
    void jsonEscapesAndLeavesNonFiniteNumbersOut() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("name", "a \"b\"\n");
        value.put("list", List.of(1, 2.5, true));
        value.put("nan", Double.NaN);
        assertEquals("{\"name\":\"a \\\"b\\\"\\n\",\"list\":[1,2.50000,true],\"nan\":null}", Json.write(value));
    }
}
