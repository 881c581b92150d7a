#!/usr/bin/env bash
# Runs the benchmarks (divan) and prints each one's median next to its
# baseline's from the same run, as a ratio.
#
#   scripts/bench.sh             # all five benches
#   scripts/bench.sh check       # one of: check, parse, guard, find, mcp, grant
set -euo pipefail
cd "$(dirname "$0")/.."

benches=("${@:-check}")
[ $# -eq 0 ] && benches=(check parse guard find mcp grant)
args=()
for bench in "${benches[@]}"; do args+=(--bench "$bench"); done

out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo bench -q -p fanvue-scopes-benches "${args[@]}" 2>/dev/null | tee "$out"

python3 - "$out" <<'PY'
import re, sys

# Which row each bench is compared with: the floor, or what apps write today.
BASELINES = {
    "check": ["raw_mask", "hash_set_of_strings"],
    "parse": ["hash_set_of_strings"],
    "guard": ["unguarded"],
    "find": ["matchit"],
    # The MCP guard's own work as a share of a whole tools/call round trip.
    "mcp": ["round_trip"],
    # A request through the grant store against the grant held in memory.
    "grant": ["in_memory"],
}
UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}

def nanos(cell):
    match = re.match(r"\s*([\d.]+)\s*(ps|ns|µs|us|ms|s)\b", cell)
    return float(match.group(1)) * UNITS[match.group(2)] if match else None

rows, path, group, bars = [], [], None, []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if "fastest" in line and "median" in line:
        # A group's header: its column bars give every row's cell positions
        # (the tree drawing uses the same character, so no plain split).
        group = line.split()[0]
        bars = [i for i, c in enumerate(line) if c == "│"]
        path = []
        continue
    if not group or len(bars) < 3 or len(line) <= bars[2]:
        continue
    head, median_cell = line[: bars[0]], line[bars[1] + 1 : bars[2]]
    name_start = len(head) - len(head.lstrip("│├╰─ "))
    depth = name_start // 3 - 1  # "├─ " is the top level
    text = head[name_start:].rstrip()
    fastest = re.search(r"\s+([\d.]+\s*(?:ps|ns|µs|us|ms|s))$", text)
    name = text[: fastest.start()].strip() if fastest else text.strip()
    if not name or name.endswith(":") or re.match(r"^[\d.]+( \w+)?$", name):
        continue  # allocation counter rows
    path = path[:depth] + [name]
    median = nanos(median_cell)
    if median is not None:
        rows.append((group, tuple(path), median))

medians = {(g, p): m for g, p, m in rows}
print("\nratios (median / baseline median, same run; below 1 is faster):")
for group, path, median in rows:
    for baseline in BASELINES.get(group, []):
        base_path = (baseline,) + path[1:]
        base = medians.get((group, base_path))
        if base is None or base_path == path:
            continue
        # Long arguments (scope strings) are named by their length.
        label = " / ".join([path[0]] + [f"{len(arg.split())} names" for arg in path[1:]])
        print(
            f"  {group:<6} {label:<32} {median:>9.2f} ns   vs {baseline:<20} {base:>9.2f} ns"
            f"   ratio {median / base:7.3f}   difference {median - base:+9.2f} ns"
        )
PY
