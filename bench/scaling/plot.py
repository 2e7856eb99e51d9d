"""Draws bench/results/scaling-{search,ingest,lineage,rss}.png from bench/results/scaling.json.

Each part present in the file gets its figure, titled with the date it was measured; a part
missing from the file (never run, or skipped) leaves its previous PNG alone.
Run through bench/scaling/plot.sh (npm run bench:scaling:plot), which provides matplotlib.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results")
THOUSANDS = FuncFormatter(lambda x, _: f"{x:,.0f}")


def day(part):
    return part["at"][:10]


def save(fig, name):
    path = os.path.join(RESULTS, f"scaling-{name}.png")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"plot: bench/results/scaling-{name}.png")


def search(part):
    pts = part["points"]
    runs = [p["runs"] for p in pts]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(runs, [p["graphql"]["p50"] for p in pts], "o-", label="GraphQL p50")
    ax.plot(runs, [p["graphql"]["p95"] for p in pts], "o-", label="GraphQL p95")
    ax.plot(runs, [p["sql"]["p95"] for p in pts], "s--", color="grey", label="hand-written SQL p95")
    ax.set_xscale("log")
    ax.set_xticks(runs)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_xlabel("runs in the project")
    ax.set_ylabel("latency (ms)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Run search (filter + order by metric, first 50) by project size\n{day(part)}")
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, "search")


def ingest(part):
    pts = part["points"]
    sizes = [p["batchSize"] for p in pts]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(sizes, [p["pointsPerSecond"] for p in pts], "o-", label="points/s")
    ax.plot(sizes, [p["foldedPointsPerSecond"] for p in pts], "o--", label="points/s incl. rollup fold")
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_xlabel("points per logBatch")
    ax.set_ylabel("points/s (8 clients)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    lat = ax.twinx()
    lat.plot(sizes, [p["batchMs"]["p50"] for p in pts], "^:", color="tab:red", label="batch p50 (ms)")
    lat.plot(sizes, [p["batchMs"]["p99"] for p in pts], "v:", color="tab:purple", label="batch p99 (ms)")
    lat.set_yscale("log")
    lat.set_ylabel("batch latency (ms)")
    lines = ax.get_legend_handles_labels()
    more = lat.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    ax.set_title(f"Ingest by batch size (logBatch over HTTP)\n{day(part)}")
    save(fig, "ingest")


def lineage(part):
    fig, (ax, nodes) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    for direction, color in (("UPSTREAM", "tab:blue"), ("DOWNSTREAM", "tab:orange")):
        pts = [p for p in part["points"] if p["direction"] == direction]
        depths = [p["depth"] for p in pts]
        label = f"{direction.lower()} from a {'model version' if direction == 'UPSTREAM' else 'dataset version'}"
        ax.plot(depths, [p["stats"]["p50"] for p in pts], "o-", color=color, label=f"{label} p50")
        ax.plot(depths, [p["stats"]["p95"] for p in pts], "o--", color=color, alpha=0.6, label=f"{label} p95")
        nodes.plot(depths, [p["avgNodes"] for p in pts], "o-", color=color)
    ax.set_ylabel("latency (ms)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"Lineage walk by depth on the 1.2M-node graph (HTTP GraphQL)\n{day(part)}")
    nodes.set_yscale("log")
    nodes.set_ylabel("avg nodes returned")
    nodes.set_xlabel("depth")
    nodes.xaxis.set_major_locator(MaxNLocator(integer=True))
    nodes.grid(alpha=0.3)
    save(fig, "lineage")


def rss(part):
    s = part["summary"]
    samples = part["samples"]
    t = [x["t"] for x in samples]
    end = t[-1]
    w = s["windowSeconds"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(t, [x["rssMiB"] for x in samples], "-", label="server RSS")
    ax.axvspan(w, 2 * w, color="tab:green", alpha=0.12, label=f"second window avg {s['secondWindowAvgMiB']:.0f} MiB")
    ax.axvspan(end - w, end, color="tab:red", alpha=0.12, label=f"last window avg {s['lastWindowAvgMiB']:.0f} MiB")
    ax.set_xlabel("seconds of ingest")
    ax.set_ylabel("RSS (MiB)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    verdict = "flat" if s["flat"] else "NOT flat"
    rate = part["load"]["pointsPerSecond"]
    ax.set_title(f"Server RSS under ingest at full speed ({rate:,.0f} points/s): {verdict} ({s['growth'] * 100:+.1f}%)\n{day(part)}")
    save(fig, "rss")


def main():
    with open(os.path.join(RESULTS, "scaling.json")) as f:
        parts = json.load(f).get("parts", {})
    drawn = 0
    for name, draw in (("search", search), ("ingest", ingest), ("lineage", lineage), ("rss", rss)):
        if name in parts:
            draw(parts[name])
            drawn += 1
    if not drawn:
        print("plot: nothing in bench/results/scaling.json yet", file=sys.stderr)


if __name__ == "__main__":
    main()
