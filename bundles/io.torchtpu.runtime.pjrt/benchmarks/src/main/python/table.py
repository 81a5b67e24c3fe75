"""Prints the benchmark table from run.sh's results folder: figure, ours, peer, ratio, target, met?"""
import json
import os
import sys

out = sys.argv[1]


def kv(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    d = {}
    for line in open(path):
        if "=" in line:
            k, v = line.strip().split("=", 1)
            try:
                d[k] = float(v)
            except ValueError:
                d[k] = v
    return d


def jmh(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    r = {}
    for b in json.load(open(path)):
        m = b["primaryMetric"]
        r[b["benchmark"].rsplit(".", 1)[1]] = (m["scorePercentiles"], m["scoreUnit"], m["score"])
    return r


MIB = 64
SIZE = MIB << 20


def gbps(ms, copies):
    return copies * SIZE / (ms / 1e3) / 1e9


rows = []


def row(figure, ours, peer, target, lower_is_better, limit, fmt="{:.2f}"):
    ratio = ours / peer if peer else None
    if target is None:
        met = "-"
    elif target == "ratio":
        met = "yes" if (ratio <= limit if lower_is_better else ratio >= limit) else "NO"
    else:
        met = "yes" if (ours <= limit if lower_is_better else ours >= limit) else "NO"
    if target == "ratio":
        tgt = ("<= {}x peer" if lower_is_better else ">= {:.0%} of peer").format(limit)
    else:
        tgt = "(info)" if target is None else target
    rows.append((figure, fmt.format(ours), "-" if peer is None else fmt.format(peer),
                 "-" if ratio is None else "{:.2f}".format(ratio), tgt, met))


floor = kv("floor.txt")
lat = jmh("latency.json")
rt = jmh("roundtrip.json")
if lat and floor:
    p, _, _ = lat["execute"]
    row("execute median us (Java vs C floor)", p["50.0"], floor["execute.median_us"], "ratio", True, 1.5)
    row("execute median us (absolute)", p["50.0"], None, "< 10 us", True, 10.0)
    row("execute p99 us (Java vs C floor)", p["99.0"], floor["execute.p99_us"], None, True, None)
    if "toHostSmall" in lat and "tohost16.median_us" in floor:
        q = lat["toHostSmall"][0]
        row("toHost 16 B median us (Java vs C)", q["50.0"], floor["tohost16.median_us"], None, True, None)
        row("toHost 16 B p99 us (Java vs C)", q["99.0"], floor["tohost16.p99_us"], None, True, None)
    for name, label in (("hostTensorRun", "HostTensor run, new output"), ("hostTensorRunInto", "HostTensor run into output")):
        if name in lat:
            q = lat[name][0]
            row(label + " median us (vs execute)", q["50.0"], p["50.0"], None, True, None)
if rt and floor:
    ours = gbps(rt["roundTrip"][0]["50.0"], 2)
    if "roundTripZeroCopy" in rt:
        zc = gbps(rt["roundTripZeroCopy"][0]["50.0"], 2)
        row("64MiB round trip, zero-copy upload, vs Java memcpy", zc, gbps(rt["memcpy"][0]["50.0"], 1), "ratio", False, 0.5)
        row("64MiB round trip, zero-copy upload, vs C memcpy", zc, floor["memcpy.gbps"], "ratio", False, 0.5)
    row("64MiB round trip GB/s (copying upload) vs Java memcpy", ours, gbps(rt["memcpy"][0]["50.0"], 1), "ratio", False, 0.5)
    row("64MiB round trip GB/s (copying upload) vs C memcpy", ours, floor["memcpy.gbps"], "ratio", False, 0.5)
    row("  C round trip GB/s vs C memcpy", floor["roundtrip.gbps"], floor["memcpy.gbps"], None, False, None)
    row("  Java vs C round trip GB/s", ours, floor["roundtrip.gbps"], None, False, None)
tuned_f, tuned = kv("floor-tuned.txt"), jmh("roundtrip-tuned.json")
if tuned and tuned_f:
    ours = gbps(tuned["roundTrip"][0]["50.0"], 2)
    row("[malloc tuned] round trip vs Java memcpy", ours, gbps(tuned["memcpy"][0]["50.0"], 1), "ratio", False, 0.5)
    row("[malloc tuned] C round trip vs C memcpy", tuned_f["roundtrip.gbps"], tuned_f["memcpy.gbps"], None, False, None)

head = ("figure", "ours", "peer", "ratio", "target", "met?")
w = [max(len(str(r[i])) for r in rows + [head]) for i in range(6)]
line = lambda r: "  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r))
print(line(head))
print("  ".join("-" * x for x in w))
for r in rows:
    print(line(r))
if floor:
    print("C floor: H2D {:.2f} ms + D2H {:.2f} ms per 64 MiB round trip; memcpy {:.2f} ms".format(
        floor["roundtrip.h2d_median_ms"], floor["roundtrip.d2h_median_ms"], floor["memcpy.median_ms"]))
bd = jmh("breakdown.json")
if bd:
    print("execute breakdown, median us: JNI calls only {:.2f} | + bufferInfo {:.2f} | public API {:.2f} | C floor {:.2f}"
          .format(bd["jniExecute"][0]["50.0"], bd["jniExecuteBufferInfo"][0]["50.0"], bd["api"][0]["50.0"],
                  floor["execute.median_us"] if floor else float("nan")))
    print("toHost 16 B breakdown, median us: plugin copy + busy-spin on eventIsReady {:.2f} | PjrtBuffer.toHost {:.2f}"
          " | C Event_Await {:.2f}".format(bd["toHostBusySpin"][0]["50.0"], bd["toHostApi"][0]["50.0"],
                                           floor["tohost16.median_us"] if floor else float("nan")))
print("load average while running: " + open("/proc/loadavg").read().split(" ", 3)[:3].__str__())
