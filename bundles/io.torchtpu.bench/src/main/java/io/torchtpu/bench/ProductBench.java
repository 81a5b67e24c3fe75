package io.torchtpu.bench;

import io.torchtpu.api.Backend;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.Tracer;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.tensorio.Npz;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The product on one backend: each phase timed on its own (trace, lower, compile), then the model served
 * by the engine and run through {@link Model#run(List, List)}, the path a Java host uses, with outputs
 * written into tensors allocated once.
 */
final class ProductBench {
    /** Where to write each batch's lowered program and arguments for a peer that runs the same StableHLO (JAX). */
    static final String EXPORT_ENVIRONMENT = "TORCHTPU_BENCH_EXPORT";
    private final TorchTpu engine;
    private final Tracer tracer;
    private final Lowerer lowerer;
    private final Backend backend;

    ProductBench(TorchTpu engine, Tracer tracer, Lowerer lowerer, Backend backend) {
        this.engine = engine;
        this.tracer = tracer;
        this.lowerer = lowerer;
        this.backend = backend;
    }

    Map<String, Object> measure(Path examplesModel, int batch, Timing.Plan plan, boolean withContention) throws Exception {
        List<HostTensor> inputs = BenchInputs.atBatch(BenchInputs.examples(examplesModel), batch);
        Path model = BenchInputs.modelAtBatch(examplesModel, batch);
        TraceOptions options = TraceOptions.defaults().withInputTypes(inputs.stream().map(HostTensor::type).toList());
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("peer", "torchtpu");
        row.put("variant", backend.id());
        row.put("batch", batch);
        row.put("file", model.getFileName().toString());

        long start = System.nanoTime();
        Graph graph = tracer.trace(model, options);
        row.put("trace_ms", (System.nanoTime() - start) / 1e6);
        row.put("graph_nodes", graph.nodes().size());
        row.put("flops_per_batch", FlopCount.of(graph));

        // as the engine lowers it: prepared first (weights in the layout the kernels take), then lowered
        start = System.nanoTime();
        Graph prepared = lowerer.prepare(graph, backend.id());
        LoweredModule lowered = lowerer.lower(prepared, backend.id());
        row.put("lower_ms", (System.nanoTime() - start) / 1e6);
        // lowering again, with the JIT warm: what a recompile after a swap or a lowering change costs
        long warmest = Long.MAX_VALUE;
        for (int i = 0; i < (plan.seconds() > 0 ? 5 : 1); i++) {
            start = System.nanoTime();
            lowerer.lower(lowerer.prepare(graph, backend.id()), backend.id());
            warmest = Math.min(warmest, System.nanoTime() - start);
        }
        row.put("lower_warm_ms", warmest / 1e6);
        row.put("stablehlo_chars", lowered.text().length());
        String exportTo = System.getenv(EXPORT_ENVIRONMENT);
        if (exportTo != null && !exportTo.isBlank()) {
            exportProgram(Path.of(exportTo), batch, prepared, lowered, inputs);
        }

        start = System.nanoTime();
        try (Executable executable = backend.runtime().compile(lowered.text(), Map.of())) {
            row.put("compile_ms", (System.nanoTime() - start) / 1e6);
        }

        String name = "bench-" + batch;
        start = System.nanoTime();
        Model served = engine.load(name, model, backend.id(), options);
        row.put("load_ms", (System.nanoTime() - start) / 1e6);
        try {
            List<HostTensor> outputs = new ArrayList<>();
            for (TensorType type : served.outputTypes()) {
                outputs.add(HostTensor.allocate(type));
            }
            row.putAll(Timing.measure(plan, batch, () -> served.run(inputs, outputs)));
            if (withContention) {
                row.put("contention", contention(model, served, inputs, outputs, batch, plan));
            }
        } finally {
            engine.unload(name);
        }
        return row;
    }

    /**
     * Writes {@code b<batch>.mlir}, the program as lowered, and {@code b<batch>.npz}, its arguments in order
     * ({@code input0}, ..., then {@code weight0}, ...), so that a peer can run exactly what the product compiles.
     */
    static void exportProgram(Path directory, int batch, Graph graph, LoweredModule lowered, List<HostTensor> inputs) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("b" + batch + ".mlir"), lowered.text());
        Map<Value, HostTensor> weights = new HashMap<>();
        graph.constants().forEach(constant -> weights.put(constant.value(), constant.data()));
        Map<String, HostTensor> arguments = new LinkedHashMap<>();
        for (int i = 0; i < lowered.arguments().size(); i++) {
            arguments.put(i < inputs.size() ? "input" + i : "weight" + (i - inputs.size()),
                    i < inputs.size() ? inputs.get(i) : weights.get(lowered.arguments().get(i)));
        }
        Npz.write(directory.resolve("b" + batch + ".npz"), arguments);
    }

    /**
     * Whether libtorch's OpenMP threads and XLA's thread pool fight in one process: the model's latency here
     * when each run follows a libtorch forward of the same file on all cores (the libtorch time not
     * counted), against its latency alone. Under an OpenMP wait policy that spins, libtorch's idle workers
     * keep the cores that XLA's workers need.
     */
    private static Map<String, Object> contention(Path model, Model served, List<HostTensor> inputs, List<HostTensor> outputs,
            int batch, Timing.Plan plan) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("omp_wait_policy", String.valueOf(System.getenv("OMP_WAIT_POLICY")));
        result.put("alone", Timing.measure(plan, batch, () -> served.run(inputs, outputs)));
        try (LibtorchStep libtorch = LibtorchStep.open(model, inputs, Runtime.getRuntime().availableProcessors())) {
            result.put("after_libtorch", Timing.measure(plan, batch, libtorch::run, () -> served.run(inputs, outputs)));
        }
        return result;
    }
}
