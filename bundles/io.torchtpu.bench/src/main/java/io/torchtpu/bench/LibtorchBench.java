package io.torchtpu.bench;

import io.torchtpu.api.HostTensor;
import io.torchtpu.libtorch.TorchTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * libtorch as the peer: the same TorchScript file run with Bytedeco in this process, in each of the ways a
 * Java user can run it without Python, at each intra-op thread count. OpenMP's wait policy is read once per
 * process, so the launcher runs this in one child process per policy.
 *
 * <p>Variants: {@code interpreted} (the graph executor's optimizations off: op by op, the nearest to eager
 * PyTorch that runs without Python), {@code torchscript} (the archive as saved, profiling executor),
 * {@code frozen} ({@code torch.jit.freeze}: weights as constants, folded) and {@code optimized}
 * ({@code torch.jit.optimize_for_inference}: frozen plus conv/batch-norm folding and oneDNN layouts).
 */
final class LibtorchBench {
    static final List<String> VARIANTS = List.of("interpreted", "torchscript", "frozen", "optimized");

    private LibtorchBench() {
    }

    static List<Map<String, Object>> measure(Path model, List<Integer> batches, List<Integer> threadCounts, List<String> variants,
            Timing.Plan plan) throws Exception {
        List<HostTensor> examples = BenchInputs.examples(model);
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean optimizeBefore = torch.getGraphExecutorOptimize();
        try (NoGradGuard noGrad = new NoGradGuard()) {
            for (String variant : variants) {
                torch.setGraphExecutorOptimize(!variant.equals("interpreted"));
                Map<Path, JitModule> modules = new LinkedHashMap<>();
                for (int threads : threadCounts) {
                    torch.set_num_threads(threads);
                    for (int batch : batches) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("peer", "libtorch");
                        row.put("variant", variant);
                        row.put("threads", threads);
                        row.put("batch", batch);
                        Path file = BenchInputs.modelAtBatch(model, batch);
                        row.put("file", file.getFileName().toString());
                        try {
                            JitModule module = modules.computeIfAbsent(file, f -> load(f, variant));
                            row.putAll(run(module, BenchInputs.atBatch(examples, batch), batch, plan));
                        } catch (RuntimeException e) {
                            row.put("error", String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString()));
                        }
                        rows.add(row);
                    }
                }
            }
        } finally {
            torch.setGraphExecutorOptimize(optimizeBefore);
        }
        return rows;
    }

    private static JitModule load(Path model, String variant) {
        JitModule module = torch.load(model.toString());
        module.eval();
        return switch (variant) {
            case "interpreted", "torchscript" -> module;
            case "frozen" -> torch.freeze(module);
            case "optimized" -> torch.optimize_for_inference(module);
            default -> throw new IllegalArgumentException("unknown libtorch variant '" + variant + "': " + VARIANTS);
        };
    }

    private static Map<String, Object> run(JitModule module, List<HostTensor> inputs, int batch, Timing.Plan plan) throws Exception {
        IValueVector arguments = new IValueVector();
        List<Tensor> keepAlive = new ArrayList<>();
        for (HostTensor input : inputs) {
            Tensor tensor = TorchTensors.copy(input);
            keepAlive.add(tensor);
            arguments.push_back(new IValue(tensor));
        }
        Map<String, Object> result = Timing.measure(plan, batch, () -> {
            // the outputs of each call are freed with the scope, not left to the garbage collector
            try (PointerScope scope = new PointerScope()) {
                module.forward(arguments);
            }
        });
        keepAlive.clear();
        return result;
    }
}
