#!/bin/sh
# Fleet report benchmark: `embargo report --journal-directory` over generated journals of many
# hosts, at several sizes, to show that time and peak memory grow linearly with the findings.
#
# Each host gets FINDINGS_PER_HOST (10) restricted products found, as embargod logs them (the
# entry shape of Sources/EmbargoJournal: MESSAGE_ID, EMBARGO_* fields, evidence lines, package
# ids, scan context), plus a scan-started and scan-completed pair per scan; a fifth of the
# findings later change status and a tenth are resolved. The export-format stream is turned into
# journal files by systemd-journal-remote, in two layouts:
#   split   one file per host (remote-<host>.journal, SplitMode=host); journal files are at least
#           8 MB each, so 1,000 hosts take 8 GB of disk: sizes stop at SPLIT_MAX_HOSTS (1000)
#   single  every host in one file (SplitMode=none)
# Timed with the release build (Swift runtime linked statically), best of RUNS (3) after one
# warm-up run, page cache warm; peak memory is the maximum resident set (GNU time).
#
# Usage: Benchmarks/fleet-report.sh
# Environment: HOSTS_SPLIT ("250 500 1000"), HOSTS_SINGLE ("1000 2000 4000"), FINDINGS_PER_HOST
# (10), RUNS (3), SCRATCH (where journals are written; default $TMPDIR or /tmp).
set -eu
cd "$(dirname "$0")/.."
scripts/install-dependencies build >/dev/null
remote=/lib/systemd/systemd-journal-remote
[ -x "$remote" ] || { echo "systemd-journal-remote is needed: apt-get install -y systemd-journal-remote" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install -y time" >&2; exit 2; }
swift build -c release --static-swift-stdlib --product embargo --scratch-path .build-static >/dev/null
embargo="$(pwd)/.build-static/release/embargo"
work=$(mktemp -d "${SCRATCH:-${TMPDIR:-/tmp}}/embargo-fleet-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

EMBARGO="$embargo" REMOTE="$remote" WORK="$work" \
HOSTS_SPLIT="${HOSTS_SPLIT:-250 500 1000}" HOSTS_SINGLE="${HOSTS_SINGLE:-1000 2000 4000}" \
FINDINGS_PER_HOST="${FINDINGS_PER_HOST:-10}" RUNS="${RUNS:-3}" python3 - <<'PYTHON'
import os, shutil, subprocess, sys, time

EMBARGO, REMOTE, WORK = os.environ["EMBARGO"], os.environ["REMOTE"], os.environ["WORK"]
PER_HOST = int(os.environ["FINDINGS_PER_HOST"])
RUNS = int(os.environ["RUNS"])

# MESSAGE_IDs of Sources/EmbargoJournal/JournalEvent.swift.
SCAN_STARTED = "87a075aa074e47568ca0b83a3291df73"
SCAN_COMPLETED = "5492dfabbd58454fb643abf44d895f67"
FOUND = "936839e45a4d46f3b725987c4cda2844"
CHANGED = "91daa8ec3ab0434fa0d7c351c9766884"
RESOLVED = "fb15d138b9f04935b5e1d7911eecff12"
START = 1_719_820_800_000_000  # 2024-07-01T08:00:00Z, microseconds

def host_entries(index):
    """The export-format entries of one host, oldest first."""
    host = f"host{index:05d}"
    machine = f"{index:032x}"
    trusted = [("_HOSTNAME", host), ("_MACHINE_ID", machine), ("_BOOT_ID", f"{index + 1:032x}"), ("_UID", "0"),
               ("_GID", "0"), ("_COMM", "embargod"), ("_TRANSPORT", "journal"), ("SYSLOG_IDENTIFIER", "embargod")]
    out = []
    clock = [START + index * 1_000_000]
    def entry(message_id, event, fields, message="entry"):
        clock[0] += 1000
        lines = [f"__REALTIME_TIMESTAMP={clock[0]}", f"__MONOTONIC_TIMESTAMP={clock[0] - START + 1}"]
        lines += [f"{k}={v}" for k, v in trusted]
        lines += [f"MESSAGE={message}", f"MESSAGE_ID={message_id}", "PRIORITY=3", f"EMBARGO_EVENT={event}"]
        lines += [f"{k}={v}" for k, v in fields]
        out.append("\n".join(lines) + "\n\n")
    def context(scan):
        return [("EMBARGO_SCAN_ID", f"{index:08x}-0000-4000-8000-{scan:012x}"), ("EMBARGO_SCAN_KIND", "scan"),
                ("EMBARGO_TRIGGER", "periodic"), ("EMBARGO_ROOT", "/"), ("EMBARGO_PROFILE", "us-commercial"),
                ("EMBARGO_POLICY_ID", "kaspersky+profiles"), ("EMBARGO_POLICY_VERSION", "1.0.0+1.0.0"),
                ("EMBARGO_POLICY_SHA256", "9" * 64), ("EMBARGO_AS_OF", "2024-10-01T00:00:00Z")]
    def finding(product, status):
        name = f"product-{product}"
        return [("EMBARGO_FINDING_ID", f"kaspersky/{name}"), ("EMBARGO_VENDOR", "kaspersky"),
                ("EMBARGO_VENDOR_NAME", "Kaspersky"), ("EMBARGO_PRODUCT", name),
                ("EMBARGO_PRODUCT_NAME", f"Kaspersky product {product}"), ("EMBARGO_STATUS", status),
                ("EMBARGO_SEVERITY", "critical"), ("EMBARGO_CONFIDENCE", "high"),
                ("EMBARGO_PHASE", "commerce-icts-2021-002/updates-resale-licensing"),
                ("EMBARGO_PHASE_PROHIBITS", "Updates, resale and licensing of Kaspersky software."),
                ("EMBARGO_AUTHORITY", "US Department of Commerce (BIS)"), ("EMBARGO_EFFECTIVE", "2024-09-29T04:00:00Z"),
                ("EMBARGO_CITATION", "89 FR 52434 https://www.federalregister.gov/d/2024-13532"),
                ("EMBARGO_INSTALLED_AFTER_PHASE", "no"), ("EMBARGO_UPDATED_AFTER_PHASE", "no"),
                ("EMBARGO_EVIDENCE", f"package {name} [package={name}, vendor-documented] version=12.1.0.1297 arch=amd64"),
                ("EMBARGO_EVIDENCE", f"file /opt/kaspersky/{name}/bin/{name}-control [package={name}, vendor-documented] ownedBy=deb:{name}:amd64@12.1.0.1297"),
                ("EMBARGO_EVIDENCE", f"service {name}.service [unit={name}.service, vendor-documented] enabled=yes"),
                ("EMBARGO_PACKAGE", name), ("EMBARGO_VERSION", "12.1.0.1297"),
                ("EMBARGO_PACKAGE_ID", f"deb:{name}:amd64@12.1.0.1297"),
                ("EMBARGO_INSTALLED_AT", "2024-06-01T09:00:00Z"), ("EMBARGO_INSTALLED_AT_SOURCE", "dpkg-log"),
                ("EMBARGO_UPDATED_AT", "2024-06-01T09:00:00Z"), ("EMBARGO_REMEDIATION", f"apt-get purge {name}")]
    def scan(number, findings, statuses):
        entry(SCAN_STARTED, "scan-started", context(number), "Scan of / started (periodic)")
        return lambda: entry(SCAN_COMPLETED, "scan-completed", [("EMBARGO_FINDINGS", str(findings)),
              ("EMBARGO_COUNT_VIOLATION", str(statuses)), ("EMBARGO_PACKAGES", "1843"), ("EMBARGO_ERRORS", "0"),
              ("EMBARGO_WARNINGS", "0"), ("EMBARGO_DURATION_MS", "2140"), ("EMBARGO_VERDICT", "non-compliant")]
              + context(number), "Scan completed")
    done = scan(1, PER_HOST, 0)
    for product in range(PER_HOST):
        entry(FOUND, "finding-found", finding(product, "upcoming") + context(1), "Restricted software found")
    done()
    done = scan(2, PER_HOST, PER_HOST)
    for product in range(PER_HOST):
        if product % 5 == 0:
            entry(CHANGED, "finding-changed", finding(product, "violation") + [("EMBARGO_PREVIOUS_STATUS", "upcoming")]
                  + context(2), "Finding changed")
    done()
    done = scan(3, PER_HOST - PER_HOST // 10, PER_HOST)
    for product in range(PER_HOST):
        if product % 10 == 9:
            entry(RESOLVED, "finding-resolved", finding(product, "resolved") + [("EMBARGO_PREVIOUS_STATUS", "upcoming"),
                  ("EMBARGO_FIRST_SEEN", "2024-07-01T08:00:00Z")] + context(3), "Finding resolved")
    done()
    return host, out

def journal(entries, path):
    source = path + ".export"
    with open(source, "w") as handle:
        handle.writelines(entries)
    subprocess.run([REMOTE, "-o", path, source], check=True, capture_output=True)
    os.remove(source)

def generate(layout, hosts):
    directory = os.path.join(WORK, f"{layout}-{hosts}")
    os.makedirs(directory)
    entries = 0
    if layout == "split":
        for index in range(hosts):
            host, out = host_entries(index)
            entries += len(out)
            journal(out, os.path.join(directory, f"remote-{host}.journal"))
    else:
        everything = []
        for index in range(hosts):
            everything += host_entries(index)[1]
        entries = len(everything)
        journal(everything, os.path.join(directory, "remote.journal"))
    size = sum(os.path.getsize(os.path.join(directory, name)) for name in os.listdir(directory))
    return directory, entries, size

def measure(directory):
    """(seconds, peak resident MB, exit status) of one report. The peak comes from GNU time, not
    from this process's wait4: a child forked from Python starts with Python's resident pages
    (here, the generated journals) and its maximum would count them."""
    report = os.path.join(WORK, "time.txt")
    started = time.monotonic()
    process = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report, EMBARGO, "report", "--journal-directory", directory,
                              "--format", "json", "-o", "/dev/null"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.monotonic() - started
    with open(report) as handle:
        kilobytes = int(handle.read().split()[-1])
    return elapsed, kilobytes / 1024, process.returncode

cores = os.cpu_count()
print(f"fleet report: {PER_HOST} findings per host, best of {RUNS} after a warm-up run, page cache warm, {cores} cores")
print()
header = f"{'layout':<7} {'hosts':>6} {'findings':>9} {'entries':>8} {'journal MB':>10} {'seconds':>8} {'peak MB':>8} {'us/finding':>10} {'KB/finding':>10}"
print(header)
rows = []
for layout, sizes in (("split", os.environ["HOSTS_SPLIT"]), ("single", os.environ["HOSTS_SINGLE"])):
    for hosts in map(int, sizes.split()):
        directory, entries, size = generate(layout, hosts)
        measure(directory)
        runs = [measure(directory) for _ in range(RUNS)]
        seconds = min(run[0] for run in runs)
        peak = min(run[1] for run in runs)
        status = runs[0][2]
        if status != 1:
            sys.exit(f"unexpected exit status {status} (the generated fleet holds violations)")
        findings = hosts * PER_HOST
        rows.append((layout, hosts, findings, seconds, peak))
        print(f"{layout:<7} {hosts:>6} {findings:>9} {entries:>8} {size / 2**20:>10.0f} {seconds:>8.2f} {peak:>8.1f} "
              f"{seconds / findings * 1e6:>10.1f} {peak * 1024 / findings:>10.2f}", flush=True)
        shutil.rmtree(directory)

print()
print("marginal cost between consecutive sizes of a layout (linear growth: these stay about constant)")
for layout in ("split", "single"):
    points = [row for row in rows if row[0] == layout]
    for (_, _, f1, s1, m1), (_, _, f2, s2, m2) in zip(points, points[1:]):
        print(f"{layout:<7} {f1:>6} -> {f2:<6} findings: {(s2 - s1) / (f2 - f1) * 1e6:7.1f} us and {(m2 - m1) * 1024 / (f2 - f1):6.2f} KB per added finding")
PYTHON
