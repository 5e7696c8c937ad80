#!/usr/bin/env python3
"""Turns what tools/bench measured into perf/results/bench.md, bench.svg and the ratio table
it prints. Standard library only: the bench must run on a bare Debian with python3.

Inputs in --work: blitz_micro.json and asio_micro.json (Google Benchmark, one run per round
and workload), core_latency.txt (one probe per micro round), echo.tsv (one line per load
run), http.tsv (one line per wrk run), memory.tsv (one line per server) and peers.txt (echo
servers added with tools/bench --peer). Exits 3 when a micro benchmark reported an error
other than a backend this machine cannot create, because that is a failed check.
"""
import argparse
import csv
import datetime
import html
import json
import os
import platform
import statistics
import sys

BLITZ = ["blitz-uring", "blitz-epoll"]
PEERS = ["asio-epoll", "asio-uring", "libuv", "liburing"]
SERVERS = BLITZ + PEERS
# echo_server --buffer-pool, measured for memory only.
POOLED = ["blitz-uring-pool", "blitz-epoll-pool"]
COLOURS = {
    "blitz-uring": "#1f6fb4", "blitz-epoll": "#6fa8dc", "asio-epoll": "#e69138",
    "asio-uring": "#b45f06", "libuv": "#6aa84f", "liburing": "#999999",
}
EXTRA_COLOURS = ["#8e44ad", "#c0392b", "#16a085", "#2c3e50"]


def add_peers(work):
    """Echo servers given to tools/bench with --peer join the peer columns."""
    path = os.path.join(work, "peers.txt")
    if not os.path.exists(path):
        return
    with open(path) as f:
        names = [l.strip() for l in f if l.strip()]
    for i, name in enumerate(n for n in names if n not in SERVERS):
        PEERS.append(name)
        SERVERS.append(name)
        COLOURS[name] = EXTRA_COLOURS[i % len(EXTRA_COLOURS)]


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def load_micro(path, with_backend):
    """{(workload, backend or 'asio'): row}: the median of its runs (one per round), or the
    median aggregate when the file has one."""
    if not os.path.exists(path):
        return {}, []
    try:
        with open(path) as f:
            runs = json.load(f).get("benchmarks", [])
    except ValueError:
        return {}, ["%s: not valid JSON" % os.path.basename(path)]
    rows, errors, samples = {}, [], {}
    for r in runs:
        if r.get("run_type") == "aggregate" and r.get("aggregate_name") != "median":
            continue
        name = r["run_name"]
        if name.endswith("/real_time"):
            name = name[: -len("/real_time")]
        backend = "asio"
        if with_backend:
            name, _, backend = name.rpartition("/")
            backend = "blitz-" + backend
        if r.get("error_occurred"):
            msg = r.get("error_message", "error")
            if not msg.startswith("no "):  # "no uring backend: ..." is the machine, not a bug
                errors.append("%s [%s]: %s" % (name, backend, msg))
            rows[(name, backend)] = {"error": msg}
            continue
        if r.get("run_type") == "aggregate":
            rows[(name, backend)] = {
                "items_per_second": r.get("items_per_second"),
                "allocs_per_item": r.get("allocs_per_item"),
                "runs": r.get("repetitions"),
            }
        else:
            samples.setdefault((name, backend), []).append(r)
    for key, rs in samples.items():
        if key in rows:
            continue
        med = lambda field: (statistics.median(x[field] for x in rs)
                             if all(x.get(field) is not None for x in rs) else None)
        rows[key] = {"items_per_second": med("items_per_second"),
                     "allocs_per_item": med("allocs_per_item"), "runs": len(rs)}
    return rows, errors


def timer_fire_note(micro):
    """BM_timer_fire's ceiling: the last of its n timers is due 50 ms (perf/blitz_micro.cpp,
    perf/asio_micro.cpp) after the first, and it is timed in real time, so no library can
    pass n / 50 ms. A library firing every timer on time sits at the ceiling, and a ratio
    against it cannot exceed 1."""
    names = [n for n, _ in micro if n.startswith("BM_timer_fire/")]
    if not names:
        return ""
    n = names[0]
    ceiling = int(n.split("/")[1]) / 0.050
    shares = ["%s %.0f%%" % (b, 100 * micro[(n, b)]["items_per_second"] / ceiling)
              for b in BLITZ + ["asio"]
              if micro.get((n, b), {}).get("items_per_second")]
    return ("`%s` cannot exceed %s items/s: its timers are spread over 50 ms and it counts "
            "real time. Share of that ceiling reached: %s." % (n, si(ceiling), ", ".join(shares)))


def core_latency_note(work):
    """The cache-line round trip between CPU 0 and CPU 1 seen before each micro round."""
    path = os.path.join(work, "core_latency.txt")
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        ns = [int(l.split("=", 1)[1]) for l in f if l.startswith("core_latency_ns=")]
    if not ns:
        return ""
    return ("Cache-line round trip between CPU 0 and CPU 1 (`core_latency`, before each "
            "round and workload): min %d ns, median %d ns, max %d ns over %d probes. The host "
            "moves the two vCPUs between nearby and distant cores, and cross-thread figures "
            "(blitz's and Asio's alike) rise and fall with it: the two programs alternate so "
            "that both see the same machine." % (min(ns), statistics.median(ns), max(ns),
                                                  len(ns)))


def echo_medians(rows):
    """{(server, config): (median round trips/s, median server CPU ns per round trip)}."""
    runs = {}
    for r in rows:
        rt = int(r["round_trips"])
        if rt <= 0:
            continue
        runs.setdefault((r["server"], r["config"]), []).append(
            (float(r["rate"]), int(r["cpu_ns"]) / rt))
    return {k: (statistics.median(a for a, _ in v), statistics.median(c for _, c in v))
            for k, v in runs.items()}


def echo_allocations(rows):
    """{(server, config): median over rounds of heap allocations per round trip}, from the
    counts perf/alloc_counter.c kept; runs without a count (an older echo.tsv) are left out.
    Every server allocates something per connection (its session state at least), so one
    that counted nothing at all ran without the counter: it is left out too, with a warning,
    rather than shown as a false zero."""
    runs = {}
    total = {}
    for r in rows:
        rt = int(r["round_trips"])
        if rt > 0 and r.get("allocs") not in (None, ""):
            runs.setdefault((r["server"], r["config"]), []).append(int(r["allocs"]) / rt)
            total[r["server"]] = total.get(r["server"], 0) + int(r["allocs"])
    for server in sorted(s for s, n in total.items() if n == 0):
        print("warning: no allocation counted for %s: was liballoc_counter.so preloaded?"
              % server, file=sys.stderr)
    return {k: statistics.median(v) for k, v in runs.items() if total[k[0]] > 0}


def per_round_ratios(rows):
    """{(server, peer, config): [(throughput ratio, CPU-per-round-trip ratio), one per round]}."""
    per_round = {}
    for r in rows:
        rt = int(r["round_trips"])
        if rt <= 0:
            continue
        per_round.setdefault((r["config"], r["round"]), {})[r["server"]] = (
            float(r["rate"]), int(r["cpu_ns"]) / rt)
    ratios = {}
    for (cfg, _), servers in per_round.items():
        for a, (ra, ca) in servers.items():
            for b, (rb, cb) in servers.items():
                if a != b and rb > 0 and cb > 0:
                    ratios.setdefault((a, b, cfg), []).append((ra / rb, ca / cb))
    return ratios


def echo_paired(rows):
    """{(server, peer, config): (median throughput ratio, median CPU-per-round-trip ratio)},
    each ratio taken within one round. Servers of a round run back to back, seconds apart,
    while this virtual machine's speed drifts by tens of percent over minutes: the ratio of
    two servers measured side by side moves far less than either one's figure, so the
    median of per-round ratios is steadier than the ratio of two medians."""
    return {k: (statistics.median(x for x, _ in v), statistics.median(y for _, y in v))
            for k, v in per_round_ratios(rows).items()}


def cpu_spread_table(configs, rows):
    """The interquartile range of the per-round CPU ratios behind each median in the ratio
    table: how far one round's comparison strays on this machine. A median whose range
    straddles a target says the run cannot tell the two apart at that precision."""
    ratios = per_round_ratios(rows)

    def iqr(key):
        v = [c for _, c in ratios.get(key, [])]
        if len(v) < 2:
            return None
        q = statistics.quantiles(v, n=4)
        return "%.2f-%.2f" % (q[0], q[2])

    out = []
    for cfg in configs:
        row = [cfg]
        for peer in PEERS:
            u, e = (iqr((b, peer, cfg)) for b in BLITZ)
            row.append("%s / %s" % (u or "-", e or "-") if u or e else "")
        out.append(row)
    return md_table(["workload"] + ["vs " + p for p in PEERS], out)


HTTP_BLITZ = ["http-blitz-uring", "http-blitz-epoll"]
HTTP_ASIO = "http-asio-epoll"
HTTP_SERVERS = HTTP_BLITZ + [HTTP_ASIO]


def http_medians(rows):
    """{server: (median requests/s, median server CPU ns per request)}."""
    runs = {}
    for r in rows:
        n = int(r["requests"])
        if n <= 0:
            continue
        runs.setdefault(r["server"], []).append((float(r["rate"]), int(r["cpu_ns"]) / n))
    return {k: (statistics.median(a for a, _ in v), statistics.median(c for _, c in v))
            for k, v in runs.items()}


def http_table(http):
    """One row per server: requests/s, CPU per request, and both as a ratio to Asio."""
    asio = http.get(HTTP_ASIO)
    rows = []
    for srv in HTTP_SERVERS:
        if srv not in http:
            continue
        rate, cpu = http[srv]
        f = lambda x: "-" if x is None else "%.2f" % x
        rows.append([srv, "%.0f" % rate, "%.2f" % (cpu / 1000),
                     f(ratio(rate, asio[0]) if asio else None),
                     f(ratio(cpu, asio[1]) if asio else None)])
    return md_table(["server", "requests/s", "server CPU per request (µs)",
                     "requests/s vs asio", "CPU per request vs asio"], rows)


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_pair(u, e):
    f = lambda x: "-" if x is None else "%.2f" % x
    return "%s / %s" % (f(u), f(e))


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def ratio_table(configs, paired, memory, micro_names, micro):
    """blitz / peer for every comparison: one row per workload and metric."""
    rows = []
    for cfg in configs:
        for metric, idx in (("throughput", 0), ("server CPU per round trip", 1)):
            row = [cfg, metric]
            for peer in PEERS:
                vals = [paired[(b, peer, cfg)][idx] if (b, peer, cfg) in paired else None
                        for b in BLITZ]
                row.append(fmt_pair(*vals))
            rows.append(row)
    if memory:
        row = ["%d idle conns" % next(iter(memory.values()))[1], "RSS per connection"]
        for peer in PEERS:
            vals = [ratio(memory[b][0], memory[peer][0]) if b in memory and peer in memory
                    and memory[peer][0] > 0 else None for b in BLITZ]
            row.append(fmt_pair(*vals))
        rows.append(row)
        if any(b in memory for b in POOLED):
            row = ["%d idle conns, --buffer-pool" % next(iter(memory.values()))[1],
                   "RSS per connection"]
            for peer in PEERS:
                vals = [ratio(memory[b][0], memory[peer][0]) if b in memory and peer in memory
                        and memory[peer][0] > 0 else None for b in POOLED]
                row.append(fmt_pair(*vals))
            rows.append(row)
    for name in micro_names:
        a = micro.get((name, "asio"), {}).get("items_per_second")
        vals = [ratio(micro.get((name, b), {}).get("items_per_second"), a) for b in BLITZ]
        # A workload guarded by __has_include until its blitz header lands.
        absent = all((name, b) not in micro for b in BLITZ)
        cell = "not in blitz_micro yet" if absent else fmt_pair(*vals)
        rows.append([name, "items/s (micro)", cell] + [""] * (len(PEERS) - 1))
    header = ["workload", "metric"] + ["vs " + p for p in PEERS]
    return md_table(header, rows)


def bar_chart_svg(configs, echo):
    """One small panel per configuration (own y scale: one connection costs ten times what a
    pipelined round trip does), one bar per server: server CPU microseconds per round trip."""
    pw, ph, top, left, gap = 190, 230, 50, 40, 20
    width = left + len(configs) * (pw + gap) + 10
    height = top + ph + 90
    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="11">' % (width, height),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="20" font-size="14">Echo server CPU time per round trip (µs, '
         'lower is better; median over rounds)</text>' % left]
    for i, cfg in enumerate(configs):
        x0 = left + i * (pw + gap)
        vals = [(srv, echo[(srv, cfg)][1] / 1000.0) for srv in SERVERS if (srv, cfg) in echo]
        peak = max([v for _, v in vals] + [1e-9])
        s.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>'
                 % (x0, top + ph, x0 + pw, top + ph))
        s.append('<text x="%d" y="%d" text-anchor="middle">%s</text>'
                 % (x0 + pw / 2, top + ph + 16, html.escape(cfg)))
        bw = pw / max(len(SERVERS), 1)
        for j, srv in enumerate(SERVERS):
            v = dict(vals).get(srv)
            if v is None:
                continue
            h = (ph - 20) * v / peak
            x = x0 + j * bw + 2
            s.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">'
                     '<title>%s %s: %.2f µs</title></rect>'
                     % (x, top + ph - h, bw - 4, h, COLOURS[srv], srv, html.escape(cfg), v))
            s.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-size="9">%.2f</text>'
                     % (x + (bw - 4) / 2, top + ph - h - 3, v))
    for j, srv in enumerate(SERVERS):
        x = left + j * 120
        s.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>'
                 % (x, top + ph + 40, COLOURS[srv]))
        s.append('<text x="%d" y="%d">%s</text>' % (x + 16, top + ph + 50, srv))
    s.append("</svg>")
    return "\n".join(s) + "\n"


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs, Linux %s" % (cpu, os.cpu_count() or 0, platform.release())


def load_note(work):
    """Other processes on the machine skew every figure; say how busy it was."""
    try:
        with open(os.path.join(work, "loadavg_start")) as f:
            start = f.read().split()[:3]
        with open("/proc/loadavg") as f:
            end = f.read().split()[:3]
    except OSError:
        return ""
    return " Load average at start %s, at end %s." % (" ".join(start), " ".join(end))


def si(x):
    if x is None:
        return "-"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return "%.2f%s" % (x / scale, unit)
    return "%.0f" % x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--duration", default="?")
    args = ap.parse_args()
    add_peers(args.work)

    micro, errors = load_micro(os.path.join(args.work, "blitz_micro.json"), True)
    asio, asio_errors = load_micro(os.path.join(args.work, "asio_micro.json"), False)
    micro.update(asio)
    errors += asio_errors
    micro_names = sorted({n for n, _ in micro}, key=lambda n: (n.split("/")[0], n))

    echo_rows = read_tsv(os.path.join(args.work, "echo.tsv"))
    echo = echo_medians(echo_rows)
    allocs = echo_allocations(echo_rows)
    configs = []
    for r in echo_rows:
        if r["config"] not in configs:
            configs.append(r["config"])
    memory = {}
    for r in read_tsv(os.path.join(args.work, "memory.tsv")):
        n = int(r["connections"])
        grown = (int(r["rss_after_kb"]) - int(r["rss_before_kb"])) * 1024.0 / n
        memory[r["server"]] = (grown, n, int(r["rss_before_kb"]), int(r["rss_after_kb"]))

    http = http_medians(read_tsv(os.path.join(args.work, "http.tsv")))
    http_md = http_table(http)

    ratios = ratio_table(configs, echo_paired(echo_rows), memory, micro_names, micro)
    if http:
        print("HTTP: GET of a 1 KiB file, wrk -t1 -c64; blitz / asio above 1 (requests/s) or "
              "below 1 (CPU per request) is better for blitz.")
        print(http_md)
        print()
    print("blitz / peer, as \"blitz-uring / blitz-epoll\": throughput and items/s above 1 "
          "mean blitz is faster; CPU per round trip and RSS below 1 mean blitz is cheaper.")
    print(ratios)

    md = ["# blitz-io benchmark results", "",
          "Generated by `tools/bench` on %s UTC: %s. Echo: %d round(s) of %ss per run, "
          "servers pinned to CPU 0, `echo_load` to CPU 1; medians over rounds.%s"
          % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), machine(), args.rounds,
             args.duration, load_note(args.work)), "",
          "## Ratios (blitz / peer)", "",
          "Each cell is `blitz-uring / blitz-epoll` divided by the peer; for echo, the median"
          " over rounds of the ratio within each round. Throughput and items/s:"
          " above 1 is better for blitz. CPU per round trip and RSS: below 1 is better for "
          "blitz. Micro benchmarks compare with `asio_micro` (Asio's epoll reactor).", "",
          ratios, "",
          "Spread of the echo CPU ratios above: the interquartile range of the per-round "
          "ratios (`blitz-uring / blitz-epoll`). Where a range straddles a target, this run "
          "cannot tell the two servers apart at that precision.", "",
          cpu_spread_table(configs, echo_rows), "",
          "## Echo: round trips per second", "",
          md_table(["configuration"] + SERVERS,
                   [[c] + [si(echo[(s, c)][0]) if (s, c) in echo else "-" for s in SERVERS]
                    for c in configs]), "",
          "## Echo: server CPU time per round trip (µs)", "",
          md_table(["configuration"] + SERVERS,
                   [[c] + ["%.2f" % (echo[(s, c)][1] / 1000) if (s, c) in echo else "-"
                           for s in SERVERS] for c in configs]), "",
          "![server CPU per round trip](bench.svg)", "",
          "## Echo: heap allocations per round trip", "",
          "Counted in every server alike by preloading `perf/alloc_counter.c` (malloc and "
          "its kin; C++ operator new and Rust's allocator end there). Each load run opens "
          "its connections afresh, so these figures include setting up a connection (the "
          "session and its socket) spread over the run's round trips.", "",
          md_table(["configuration"] + SERVERS,
                   [[c] + ["%.2g" % allocs[(s, c)] if (s, c) in allocs else "-"
                           for s in SERVERS] for c in configs]), "",
          "## HTTP: requests per second", "",
          "`example/http` (`http_server`, on io_uring and on epoll) and its Boost.Asio peer "
          "(`asio_http_server`, epoll) serving a 1 KiB `index.html`; `wrk -t1 -c64` pinned to "
          "CPU 1, keep-alive, no pipelining; medians over rounds. Ratios are blitz / asio.", "",
          http_md if http else "Not measured (wrk missing or every run failed).", "",
          "## Memory per idle connection", "",
          "(VmRSS with N connections open, each having echoed one byte) - (VmRSS before), / N."
          " Kernel memory (socket buffers, io_uring requests) is not in RSS.", "",
          md_table(["server", "bytes per connection", "connections", "RSS before (KiB)",
                    "RSS after (KiB)"],
                   [[s, "%.0f" % memory[s][0], memory[s][1], memory[s][2], memory[s][3]]
                    for s in SERVERS + POOLED if s in memory]), "",
          "`blitz-*-pool` is `echo_server --buffer-pool`: receives borrow a buffer from a "
          "`buffer_pool` only when data arrives, so an idle connection holds none.", "",
          "## Micro benchmarks", "",
          "Medians over rounds; each round runs `blitz_micro` and `asio_micro` in turn, one "
          "process per workload.", "",
          core_latency_note(args.work), "",
          md_table(["benchmark"] + ["%s items/s" % b for b in BLITZ + ["asio"]]
                   + ["%s allocs/item" % b for b in BLITZ + ["asio"]],
                   [[n] + [micro.get((n, b), {}).get("error") or
                           si(micro.get((n, b), {}).get("items_per_second"))
                           for b in BLITZ + ["asio"]]
                    + ["-" if micro.get((n, b), {}).get("allocs_per_item") is None else
                       "%.3g" % micro[(n, b)]["allocs_per_item"] for b in BLITZ + ["asio"]]
                    for n in micro_names]), "",
          timer_fire_note(micro), ""]
    if errors:
        md += ["## Errors", ""] + ["- " + e for e in errors] + [""]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(args.out, "bench.svg"), "w") as f:
        f.write(bar_chart_svg(configs, echo))
    for e in errors:
        print("micro benchmark failed: " + e, file=sys.stderr)
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
