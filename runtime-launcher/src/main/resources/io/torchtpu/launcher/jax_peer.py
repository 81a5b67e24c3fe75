"""JAX as a peer of `torchtpu bench`: runs the StableHLO modules torchtpu lowered (b<N>.mlir, their arguments in
b<N>.npz as input0, ..., weight0, ...) through JAX on the same XLA CPU PJRT plugin, and prints one line
`jax-bench: {json}` with a row per batch size, timed the way the bench times its other peers. As in the product's
timed step, each step copies the inputs to the device and the outputs back to host memory; the weights stay.

    python3 jax_peer.py DIR SECONDS [PLUGIN]

PLUGIN defaults to $TORCHTPU_CACHE/plugins/pjrt_cpu.so (else ~/.cache/torchtpu/plugins/pjrt_cpu.so), where
fetch-pjrt-cpu.sh installs it. The client runs programs on the calling thread, as torchtpu's CPU backend does.
"""
import glob
import json
import os
import resource
import statistics
import sys
import time

import numpy as np


def measure(step, batch, seconds):
    """As the bench's Timing: warm-up, then 5 rounds; seconds 0 is one warm-up and one timed step (the test's run)."""
    smoke = seconds <= 0
    warmup_end = time.perf_counter() + min(1.0, seconds / 4)
    runs = 0
    while runs < (1 if smoke else 3) or time.perf_counter() < warmup_end:
        step()
        runs += 1
    samples, rounds = [], []
    cpu_start = time.process_time()
    for _ in range(1 if smoke else 5):
        round_start, spent, steps = time.perf_counter(), 0.0, 0
        while steps < (1 if smoke else 3) or time.perf_counter() - round_start < seconds / 5:
            start = time.perf_counter()
            step()
            elapsed = time.perf_counter() - start
            samples.append(elapsed)
            spent += elapsed
            steps += 1
        rounds.append(steps * batch / spent)
    cpu = time.process_time() - cpu_start
    samples.sort()
    rounds.sort()
    median = rounds[len(rounds) // 2]

    def percentile(fraction):
        return samples[max(0, min(len(samples) - 1, int(-(-fraction * len(samples) // 1)) - 1))] * 1e3

    return {"iterations": len(samples), "p50_ms": percentile(0.5), "p99_ms": percentile(0.99), "min_ms": samples[0] * 1e3,
            "mean_ms": statistics.fmean(samples) * 1e3, "throughput_per_s": median, "throughput_min_per_s": rounds[0],
            "throughput_max_per_s": rounds[-1], "spread_pct": (rounds[-1] - rounds[0]) / median * 100,
            "cpu_ms_per_step": cpu * 1e3 / len(samples)}


def main():
    directory, seconds = sys.argv[1], float(sys.argv[2])
    cache = os.environ.get("TORCHTPU_CACHE", os.path.expanduser("~/.cache/torchtpu"))
    plugin = os.path.realpath(sys.argv[3] if len(sys.argv) > 3 else os.path.join(cache, "plugins", "pjrt_cpu.so"))
    import jax
    # the programs take 64-bit arguments (token ids) as they are; JAX would otherwise narrow them to 32 bits
    jax.config.update("jax_enable_x64", True)
    from jax._src import xla_bridge
    from jax._src.lib import xla_client

    xla_bridge.register_plugin("torchtpu_cpu", library_path=plugin, options={"asynchronous": False, "cpu_device_count": 1})
    backend = xla_bridge.get_backend("torchtpu_cpu")
    device = backend.devices()[0]
    rows = []
    modules = glob.glob(os.path.join(directory, "b*.mlir"))
    for module in sorted(modules, key=lambda path: int(os.path.basename(path)[1:-5])):
        batch = int(os.path.basename(module)[1:-5])
        row = {"peer": "jax", "variant": "jax " + jax.__version__, "batch": batch}
        try:
            with open(module) as f:
                text = f.read()
            data = np.load(module[:-5] + ".npz")
            inputs = [data["input%d" % i] for i in range(sum(1 for name in data.files if name.startswith("input")))]
            weights = [jax.device_put(data["weight%d" % i], device) for i in range(len(data.files) - len(inputs))]
            start = time.perf_counter()
            executable = backend.compile_and_load(text, xla_client.DeviceList((device,)), xla_client.CompileOptions())
            row["compile_ms"] = (time.perf_counter() - start) * 1e3

            def step():
                arguments = [jax.device_put(x, device) for x in inputs] + weights
                for output in executable.execute_sharded(arguments).disassemble_into_single_device_arrays():
                    np.asarray(output[0])

            row.update(measure(step, batch, seconds))
        except Exception as e:  # one batch that fails leaves the others measured, as in the other peers
            row["error"] = (str(e).splitlines() or [repr(e)])[0]
        rows.append(row)
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("jax-bench: " + json.dumps({"jax": jax.__version__, "plugin": plugin, "peak_rss_mib": peak_rss_mib, "rows": rows}))


if __name__ == "__main__":
    main()
