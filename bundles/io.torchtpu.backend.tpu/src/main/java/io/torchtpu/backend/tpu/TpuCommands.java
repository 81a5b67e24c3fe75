package io.torchtpu.backend.tpu;

import io.torchtpu.api.Tracer;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.api.tpu.TpuFacts;
import io.torchtpu.api.tpu.TpuGeneration;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code torchtpu:tpu}: libtpu, the chips or why there are none, and every TPU generation bundle (all claimants
 * of a generation, the winner first). {@code torchtpu:compile MODEL TARGET [OUT]}: ahead-of-time compilation for
 * a TPU slice without chips.
 */
@Component(service = TpuCommands.class, property = {"osgi.command.scope=torchtpu", "osgi.command.function=tpu",
    "osgi.command.function=compile"})
public final class TpuCommands {
    private final List<Tracer> tracers = new CopyOnWriteArrayList<>();

    @Reference
    private TpuBackend backend;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Lowerer lowerer;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addTracer(Tracer tracer) {
        tracers.add(tracer);
    }

    void removeTracer(Tracer tracer) {
        tracers.remove(tracer);
    }

    /** The TPU backend's state and the generations known. */
    public String tpu() {
        StringBuilder out = new StringBuilder();
        out.append("backend tpu: ").append(backend.description()).append('\n');
        out.append("generations (where bundles claim the same generation, the highest service.ranking wins, then the"
                + " oldest service):\n");
        List<Generations.Claim> claims = backend.generations().all();
        if (claims.isEmpty()) {
            out.append("  none: add a feature such as tpu-v5e\n");
        }
        Generations.Claim winner = null;
        for (Generations.Claim c : claims) {
            TpuGeneration g = c.generation();
            TpuFacts f = g.facts();
            // all() lists each generation's winner first, then the claims it outranks
            if (winner == null || !winner.generation().generation().equals(g.generation())) {
                winner = c;
            }
            String standing = c == winner ? "wins" : "outranked by " + winner.bundle() + " (ranking " + winner.ranking() + ")";
            out.append(String.format("  %s from %s, ranking %d, %s: %s: %.0f bf16 TFLOP/s, %s int8 TOP/s, %.0f GiB HBM at"
                    + " %.0f GB/s, MXU %s x%d per core, %d core(s) per chip, %s; libtpu topology %s:%s%n",
                    g.generation(), c.bundle(), c.ranking(), standing, g, f.peakBf16Tflops(),
                    Double.isNaN(f.peakInt8Tops()) ? "n/a" : String.format("%.0f", f.peakInt8Tops()), f.hbmGiB(),
                    f.hbmGBps(), f.mxuShape(), f.mxusPerCore(), f.coresPerChip(), String.join(", ", f.iciTopologies()),
                    g.topologyName(), g.defaultSlice()));
        }
        return out.toString();
    }

    /** Compiles MODEL for TARGET and writes the executable next to the model. */
    public String compile(String model, String target) throws IOException {
        TpuTarget t = TpuTarget.parse(target);
        Path in = Path.of(model);
        String name = in.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        String slice = t.slice() == null ? "" : "-" + t.slice();
        return compile(model, target, in.resolveSibling(name + ".tpu-" + t.generation() + slice + ".pjrt").toString());
    }

    /** Compiles MODEL (.pt2, .pt or StableHLO .mlir) for TARGET (tpu-v5e:2x2) and writes the executable to OUT. */
    public String compile(String model, String target, String output) throws IOException {
        TpuTarget t = TpuTarget.parse(target);
        Generations.Claim claim = backend.generations().winner(t.generation()).orElseThrow(() ->
                new IllegalArgumentException("no TPU generation bundle for " + t.generation() + "; the known generations are "
                        + (backend.generations().names().isEmpty() ? "none" : String.join(", ", backend.generations().names()))
                        + " (the features tpu and tpu-v4 ... tpu-v7 add the core ones; a vendor's comes with its bundle)"));
        TpuGeneration generation = claim.generation();
        PjrtPlugin libtpu = backend.plugin().orElseThrow(() -> new IllegalStateException(
                backend.unavailableReason().orElse("libtpu is not loaded")));
        String stableHlo = ModelToStableHlo.lower(Path.of(model), tracers, lowerer, "tpu-" + generation.generation());
        AotCompiler.Result result = new AotCompiler(libtpu).compile(stableHlo, generation, t);
        Path out = Path.of(output);
        Files.write(out, result.serialized());
        return "model " + model + "\ngeneration " + generation.generation() + " from " + claim.bundle() + " (ranking "
                + claim.ranking() + "): " + generation + "\n" + result.report() + "wrote " + out.toAbsolutePath() + "\n";
    }
}
