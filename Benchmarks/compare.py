#!/usr/bin/env python3
"""Times commands side by side in one run and prints ratios against the first (the baseline).

Usage: compare.py [--runs N] [--warmup N] NAME=COMMAND [NAME=COMMAND ...]
       (a NAME ending in '@K' runs only K times, for slow peers)

Machines are noisy: the figures to read are the ratios, not the absolute times.
Every command's exit status is shown; only 0 and 1 (embargo's "violation found") count as success.
"""
import argparse
import shlex
import statistics
import subprocess
import sys
import time


def run(command, runs, warmup):
    times = []
    status = None
    for index in range(warmup + runs):
        start = time.perf_counter()
        result = subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        status = result.returncode
        if status not in (0, 1):
            sys.stderr.write(f"command failed ({status}): {command}\n{result.stderr.decode(errors='replace')[-2000:]}\n")
            return None, status
        if index >= warmup:
            times.append(elapsed)
    return times, status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--title", default="")
    parser.add_argument("commands", nargs="+")
    options = parser.parse_args()
    rows = []
    for spec in options.commands:
        name, _, command = spec.partition("=")
        runs, warmup = options.runs, options.warmup
        if "@" in name:
            name, _, count = name.partition("@")
            runs, warmup = int(count), 0
        times, status = run(command, runs, warmup)
        rows.append((name, command, times, status))
    if options.title:
        print(f"== {options.title}")
    baseline = rows[0][2]
    base = statistics.median(baseline) if baseline else None
    print(f"{'command':<28} {'runs':>4} {'median':>10} {'min':>10} {'ratio':>9}")
    for name, command, times, status in rows:
        if not times:
            print(f"{name:<28} {'-':>4} {'failed':>10} {'':>10} {'':>9}")
            continue
        median = statistics.median(times)
        ratio = f"{median / base:.2f}x" if base else "-"
        print(f"{name:<28} {len(times):>4} {median * 1000:>8.1f}ms {min(times) * 1000:>8.1f}ms {ratio:>9}")
    print(f"(ratio = median / median of '{rows[0][0]}'; same machine, same run)")


if __name__ == "__main__":
    main()
