package io.torchtpu.bench;

import io.torchtpu.api.Backend;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.Tracer;
import io.torchtpu.api.lowering.Lowerer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code torchtpu:bench MODEL BACKEND BATCHES SECONDS PARTS [THREADS] [VARIANTS]}: measures in this process and
 * prints one line, {@value #PREFIX} and the results as JSON. PARTS is a comma list of {@code product} (the
 * model on the backend), {@code libtorch} (the same file on libtorch, per variant and thread count),
 * {@code sgemm} (the measured matrix-multiply peak) and {@code contention} (the product's latency right after
 * libtorch ran, against alone). SECONDS is the measuring time per figure; 0 runs one iteration of each.
 * {@code torchtpu bench} on the command line runs this in child processes, one per OpenMP wait policy.
 */
@Component(service = BenchCommands.class, property = {"osgi.command.scope=torchtpu", "osgi.command.function=bench"})
public final class BenchCommands {
    static final String PREFIX = "BENCH-JSON ";
    private static final Set<String> PARTS = Set.of("product", "libtorch", "sgemm", "contention");

    private volatile TorchTpu engine;
    private volatile Lowerer lowerer;
    private final List<Tracer> tracers = new CopyOnWriteArrayList<>();
    private final List<Backend> backends = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setEngine(TorchTpu engine) {
        this.engine = engine;
    }

    void unsetEngine(TorchTpu engine) {
        if (this.engine == engine) {
            this.engine = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setLowerer(Lowerer lowerer) {
        this.lowerer = lowerer;
    }

    void unsetLowerer(Lowerer lowerer) {
        if (this.lowerer == lowerer) {
            this.lowerer = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addTracer(Tracer tracer) {
        tracers.add(tracer);
    }

    void removeTracer(Tracer tracer) {
        tracers.remove(tracer);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(Backend backend) {
        backends.add(backend);
    }

    void removeBackend(Backend backend) {
        backends.remove(backend);
    }

    public String bench(String model, String backend, String batches, String seconds, String parts) {
        return bench(model, backend, batches, seconds, parts, "1," + Runtime.getRuntime().availableProcessors(),
                String.join(",", LibtorchBench.VARIANTS));
    }

    public String bench(String model, String backend, String batches, String seconds, String parts, String threads, String variants) {
        try {
            return PREFIX + Json.write(run(Path.of(model).toAbsolutePath(), backend, integers(batches),
                    Timing.Plan.forSeconds(Double.parseDouble(seconds)), List.of(parts.split(",")), integers(threads),
                    List.of(variants.split(",")))) + "\n";
        } catch (Exception e) {
            return "error: bench " + model + ": " + (e.getMessage() == null ? e : e.getMessage()) + "\n";
        }
    }

    Map<String, Object> run(Path model, String backendId, List<Integer> batches, Timing.Plan plan, List<String> parts,
            List<Integer> threads, List<String> variants) throws Exception {
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException(model + ": no such file");
        }
        for (String part : parts) {
            if (!PARTS.contains(part)) {
                throw new IllegalArgumentException("unknown part '" + part + "': the parts are " + PARTS);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model.toString());
        result.put("omp_wait_policy", String.valueOf(System.getenv("OMP_WAIT_POLICY")));
        result.put("parts", String.join(",", parts));
        result.put("cores", Runtime.getRuntime().availableProcessors());
        if (parts.contains("sgemm")) {
            result.put("sgemm", plan.seconds() > 0 ? SgemmPeak.measure(0, 5) : SgemmPeak.measure(256, 1));
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        // libtorch first: its figures are not to depend on the product having started XLA's threads in this process
        if (parts.contains("libtorch")) {
            rows.addAll(LibtorchBench.measure(model, batches, threads, variants, plan));
        }
        if (parts.contains("product") || parts.contains("contention")) {
            ProductBench product = new ProductBench(require(engine, "the engine feature"), tracerFor(model),
                    require(lowerer, "the lowering feature"), backendFor(backendId));
            for (int batch : batches) {
                Map<String, Object> row;
                try {
                    row = product.measure(model, batch, plan, parts.contains("contention") && batch == batches.get(0));
                } catch (RuntimeException e) {
                    // one batch size that does not trace (a shape baked into a traced model) leaves the others measured
                    row = new LinkedHashMap<>(Map.of("peer", "torchtpu", "variant", backendId, "batch", batch, "error",
                            String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString())));
                }
                if (!parts.contains("product")) {
                    row = row.containsKey("contention") ? Map.of("peer", "torchtpu", "batch", batch, "contention", row.get("contention")) : row;
                }
                rows.add(row);
                if (!parts.contains("product")) {
                    break;
                }
            }
        }
        result.put("rows", rows);
        result.put("peak_rss_mib", ProcessMemory.peakResidentMiB());
        return result;
    }

    private static <T> T require(T service, String feature) {
        if (service == null) {
            throw new IllegalStateException("not running: add " + feature);
        }
        return service;
    }

    private Tracer tracerFor(Path model) {
        return tracers.stream().filter(t -> t.accepts(model)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                model + ": no running tracer reads it (add the torchscript or pt2 feature)"));
    }

    private Backend backendFor(String id) {
        return backends.stream().filter(b -> b.id().equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no backend '" + id + "': the running backends are " + backends.stream().map(Backend::id).toList()));
    }

    static List<Integer> integers(String commaList) {
        return Arrays.stream(commaList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
    }
}
