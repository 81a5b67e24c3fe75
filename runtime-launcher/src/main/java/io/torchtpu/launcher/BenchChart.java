package io.torchtpu.launcher;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/** The bench's chart (XChart): throughput per batch size, the product beside libtorch's fastest and its other configurations. */
final class BenchChart {
    private BenchChart() {
    }

    static void write(JsonObject document, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        String model = Path.of(document.getString("model")).getParent() == null ? document.getString("model")
                : Path.of(document.getString("model")).getParent().getFileName().toString();
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(560)
                .title("torchtpu bench " + model + " (" + document.getInt("cores") + " cores): items per second, higher is better")
                .xAxisTitle("batch").yAxisTitle("items/s").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        Map<String, Map<Integer, Double>> series = new LinkedHashMap<>();
        List<Integer> batches = new ArrayList<>();
        for (JsonValue value : document.getJsonArray("rows")) {
            JsonObject row = value.asJsonObject();
            if (!row.containsKey("throughput_per_s")) {
                continue;
            }
            // libtorch: one series per variant, at its best thread count and wait policy for each batch
            String name = switch (row.getString("peer")) {
                case "torchtpu" -> "torchtpu (" + row.getString("variant") + ")";
                case "jax" -> row.getString("variant") + " (same StableHLO and plugin)";
                default -> "libtorch " + row.getString("variant") + " (best of threads, OMP policies)";
            };
            series.computeIfAbsent(name, n -> new LinkedHashMap<>()).merge(row.getInt("batch"), BenchCli.number(row, "throughput_per_s"), Math::max);
            if (!batches.contains(row.getInt("batch"))) {
                batches.add(row.getInt("batch"));
            }
        }
        batches.sort(Integer::compare);
        List<String> xs = batches.stream().map(String::valueOf).toList();
        for (Map.Entry<String, Map<Integer, Double>> entry : series.entrySet()) {
            // a configuration that failed at some batch size is left out
            if (entry.getValue().keySet().containsAll(batches)) {
                chart.addSeries(entry.getKey(), xs, batches.stream().map(entry.getValue()::get).toList());
            }
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
