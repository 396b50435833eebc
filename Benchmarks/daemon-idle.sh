#!/bin/bash
# Cost of embargod when idle, side by side with systemd-journald and cron on the same machine.
#
#   Benchmarks/daemon-idle.sh [idle-seconds]      (default 60; run as root)
#
# Measures, for a release build of embargod watching a private dpkg root that holds a copy of this
# machine's dpkg database:
#   - resident memory (VmRSS) after the first scan and after idling, and the peak (VmHWM);
#   - CPU time (utime+stime) spent while idle;
#   - wake-ups while idle: context switches of every thread (voluntary+involuntary, from
#     /proc/PID/task/*/status), without and with a watchdog (WATCHDOG_USEC=20s: one ping each 10 s);
#   - syscalls while idle, counted by `strace -f -c` (a second idle window, as strace adds cost);
#   - install-to-journal latency: from `dpkg -i` returning to the journal entry's timestamp (5 runs);
# and the resident memory of systemd-journald (the private one) and cron (started privately).
# Goals: under 20 MB resident when idle, no wake-ups besides the watchdog, latency under 2 s.
#
# Everything runs in a private mount namespace with a private journald (as the test suite does);
# nothing on the host is touched. Needs: unshare, systemd-journald, dpkg-deb, python3, strace, cron.
set -euo pipefail
IDLE="${1:-60}"
cd "$(dirname "$0")/.."
CHECKOUT="$PWD"
[ "$(id -u)" -eq 0 ] || { echo "run as root (private mount namespaces)" >&2; exit 2; }
for tool in unshare dpkg-deb python3 strace cron; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install strace cron dpkg-dev)" >&2; exit 2; }
done

# As packaged: release, Swift runtime linked statically (EMBARGOD=path overrides).
if [ -z "${EMBARGOD:-}" ]; then
    scripts/build-release embargod
    EMBARGOD="$PWD/.build-static/release/embargod"
fi
W="$(mktemp -d -t embargod-bench.XXXXXX)"
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$W"' EXIT

# A private root with this machine's package database (realistic inventory size).
mkdir -p "$W/root/var/lib/dpkg/info" "$W/root/var/lib/dpkg/updates" "$W/root/var/log" "$W/state" "$W/run-systemd" "$W/log"
cp /var/lib/dpkg/status "$W/root/var/lib/dpkg/status"
: >"$W/root/var/lib/dpkg/available"
PACKAGES=$(grep -c '^Package: ' "$W/root/var/lib/dpkg/status")

# The policy: the checkout's bundled policies if present, else a minimal Kaspersky policy.
POLICY_ARGS=()
if [ ! -d "$CHECKOUT/Policies" ] || [ -z "$(ls "$CHECKOUT/Policies" 2>/dev/null)" ]; then
    cat >"$W/policy.yaml" <<'YAML'
schema: embargo.policy/v1
id: bench-kaspersky
version: "1"
profiles:
  - {id: us-commercial, title: US commercial, default: true}
vendors:
  - id: kaspersky
    name: Kaspersky
    products:
      - id: kesl
        name: Kaspersky Endpoint Security for Linux
        identifiers:
          - {package: kesl, strength: vendor-documented, source: bench}
          - {path: "/opt/kaspersky/kesl/**", strength: vendor-documented, source: bench}
    restrictions:
      - id: commerce
        title: Commerce final determination
        authority: BIS
        citations: [{cite: 89 FR 52434}]
        binds: [us-commercial]
        phases:
          - {id: updates, effective: "2024-09-29T00:00:00-04:00", kind: updates, prohibits: Updates., severity: critical}
YAML
    POLICY_ARGS=(--no-bundled-policies --policy "$W/policy.yaml")
fi

# A kesl test double for the latency runs.
mkdir -p "$W/pkg/DEBIAN" "$W/pkg/opt/kaspersky/kesl/bin"
printf 'Package: kesl\nVersion: 12.1.0.1297\nArchitecture: amd64\nMaintainer: AO Kaspersky Lab <support@kaspersky.com>\nDescription: test double\n' >"$W/pkg/DEBIAN/control"
printf '#!/bin/sh\n' >"$W/pkg/opt/kaspersky/kesl/bin/kesl-control" && chmod 755 "$W/pkg/opt/kaspersky/kesl/bin/kesl-control"
dpkg-deb --root-owner-group --build "$W/pkg" "$W/kesl.deb" >/dev/null

printf '# benchmark: defaults\n' >"$W/embargod.conf"
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToSyslog=no\nForwardToWall=no\nRateLimitIntervalSec=0\nAudit=no\n' >"$W/journald.conf"

# NOTIFY_SOCKET listener: records datagrams with a timestamp.
cat >"$W/notify.py" <<'PY'
import os, socket, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path)
with open(log, "a", buffering=1) as out:
    while True:
        data = s.recv(4096).decode(errors="replace").replace("\n", " | ")
        out.write("%.6f %s\n" % (time.time(), data))
PY

# Inside the namespace: private journald, cron, and embargod; pids to files; wait for stop.
cat >"$W/inside.sh" <<'SH'
set -eu
W="$1"; shift
mount --bind "$W/run-systemd" /run/systemd; mkdir -p /run/systemd/journal /run/log
mount --bind "$W/log" /run/log
mount -t tmpfs -o mode=2755 tmpfs /var/log/journal
mount --bind "$W/journald.conf" /etc/systemd/journald.conf
mount -t tmpfs tmpfs /run/crond.pid 2>/dev/null || true
env -u NOTIFY_SOCKET -u WATCHDOG_USEC /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
echo $! >"$W/journald.pid"
while [ ! -S /run/systemd/journal/socket ]; do sleep 0.01; done
env -u NOTIFY_SOCKET -u WATCHDOG_USEC cron -f </dev/null >/dev/null 2>&1 &
echo $! >"$W/cron.pid"
"$@" </dev/null >"$W/embargod.out" 2>"$W/embargod.err" &
echo $! >"$W/embargod.pid"
wait $(cat "$W/embargod.pid") || true
journalctl --sync >/dev/null 2>&1 || true
kill $(cat "$W/cron.pid") $(cat "$W/journald.pid") 2>/dev/null || true
SH

rss() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
anon() { awk '/^RssAnon/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
file_backed() { awk '/^RssFile/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
pss() { awk '/^Pss:/ {printf "%.1f", $2/1024}' "/proc/$1/smaps_rollup"; }
# Per-thread context switches (voluntary + involuntary), "tid count" lines.
thread_switches() {
    for task in /proc/"$1"/task/*; do
        echo "${task##*/} $(awk '/ctxt_switches/ {s+=$2} END {print s}' "$task/status" 2>/dev/null)"
    done | sort
}
# Wake-ups between two snapshots: switches of threads alive in both, plus threads started or ended
# (a thread that starts or exits was woken to do so).
wakeups() {
    join "$1" "$2" | awk '{s+=$3-$2} END {print s+0}' >"$W/common"
    started=$(join -v 2 "$1" "$2" | wc -l); ended=$(join -v 1 "$1" "$2" | wc -l)
    echo $(( $(cat "$W/common") + started + ended ))
}
wait_for() { # file pattern seconds
    for _ in $(seq $(( $3 * 20 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "timed out waiting for '$2' in $1" >&2; return 1
}

run_daemon() { # label, extra env
    local label="$1"; shift
    rm -f "$W/notify.sock" "$W/notify.log" "$W"/*.pid; rm -rf "$W/state" "$W/log"/*; mkdir -p "$W/state"
    python3 "$W/notify.py" "$W/notify.sock" "$W/notify.log" & echo $! >"$W/listener.pid"
    while [ ! -S "$W/notify.sock" ]; do sleep 0.01; done
    env NOTIFY_SOCKET="$W/notify.sock" "$@" unshare --mount --propagation private /bin/bash "$W/inside.sh" "$W" \
        "$EMBARGOD" --root "$W/root" --state-directory "$W/state" "${POLICY_ARGS[@]}" --config "$W/embargod.conf" 2>/dev/null &
    echo $! >"$W/unshare.pid"
    wait_for "$W/notify.log" "STATUS=Idle" 120
    PID=$(cat "$W/embargod.pid")
}
stop_daemon() {
    kill -TERM "$PID"; wait "$(cat "$W/unshare.pid")" 2>/dev/null || true
    kill "$(cat "$W/listener.pid")" 2>/dev/null || true
}

TICKS=$(getconf CLK_TCK)
FOUND=936839e45a4d46f3b725987c4cda2844
RESOLVED=fb15d138b9f04935b5e1d7911eecff12
entries() { journalctl -D "$W/log/journal" -o json MESSAGE_ID="$1" 2>/dev/null | wc -l; }

# 1. Idle without a watchdog.
run_daemon idle
sleep 2
RSS_SCAN=$(rss "$PID"); HWM=$(hwm "$PID")
C0=$(cpu_ticks "$PID"); thread_switches "$PID" >"$W/s0"
sleep "$IDLE"
C1=$(cpu_ticks "$PID"); thread_switches "$PID" >"$W/s1"
RSS_IDLE=$(rss "$PID"); ANON_IDLE=$(anon "$PID"); FILE_IDLE=$(file_backed "$PID"); PSS_IDLE=$(pss "$PID")
IDLE_CPU=$(awk -v a="$C0" -v b="$C1" -v t="$TICKS" 'BEGIN {printf "%.2f", (b-a)/t}')
IDLE_SWITCHES=$(wakeups "$W/s0" "$W/s1")
timeout "$IDLE" strace -f -c -p "$PID" -o "$W/strace.txt" >/dev/null 2>&1 || true
STRACE_CALLS=$(awk '/total/ {print $(NF-2)}' "$W/strace.txt" 2>/dev/null || echo "?")
[ -n "$STRACE_CALLS" ] || STRACE_CALLS=0
JOURNALD_PID=$(cat "$W/journald.pid"); CRON_PID=$(cat "$W/cron.pid")
JOURNALD_RSS="$(rss "$JOURNALD_PID") MB (anonymous $(anon "$JOURNALD_PID"), PSS $(pss "$JOURNALD_PID"))"
CRON_RSS="$(rss "$CRON_PID") MB (anonymous $(anon "$CRON_PID"), PSS $(pss "$CRON_PID"))"
THREADS=$(ls /proc/"$PID"/task | wc -l)

# Install-to-journal latency, 5 runs (install, then purge).
LATENCIES=()
for run in 1 2 3 4 5; do
    before=$(entries "$FOUND")
    dpkg --root="$W/root" --force-script-chrootless --force-not-root --log="$W/root/var/log/dpkg.log" -i "$W/kesl.deb" >/dev/null 2>&1
    done_at=$(date +%s%N)
    for _ in $(seq 200); do [ "$(entries "$FOUND")" -gt "$before" ] && break; sleep 0.02; done
    stamp=$(journalctl -D "$W/log/journal" -o json MESSAGE_ID="$FOUND" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["__REALTIME_TIMESTAMP"])')
    LATENCIES+=("$(awk -v s="$stamp" -v d="$done_at" 'BEGIN {printf "%.2f", (s/1e6) - (d/1e9)}')")
    before=$(entries "$RESOLVED")
    dpkg --root="$W/root" --force-script-chrootless --force-not-root --log="$W/root/var/log/dpkg.log" --purge kesl >/dev/null 2>&1
    for _ in $(seq 200); do [ "$(entries "$RESOLVED")" -gt "$before" ] && break; sleep 0.02; done
done
RSS_AFTER=$(rss "$PID"); HWM_AFTER=$(hwm "$PID")
stop_daemon
MEDIAN=$(printf '%s\n' "${LATENCIES[@]}" | sort -n | sed -n 3p)
MAXIMUM=$(printf '%s\n' "${LATENCIES[@]}" | sort -n | tail -1)

# 2. Idle with a watchdog of 20 s (pings every 10 s).
run_daemon watchdog WATCHDOG_USEC=20000000
sleep 2
thread_switches "$PID" >"$W/s0"; P0=$(grep -c 'WATCHDOG=1' "$W/notify.log" || true)
sleep "$IDLE"
thread_switches "$PID" >"$W/s1"; P1=$(grep -c 'WATCHDOG=1' "$W/notify.log" || true)
WATCHDOG_SWITCHES=$(wakeups "$W/s0" "$W/s1"); WATCHDOG_PINGS=$((P1 - P0))
stop_daemon

cat <<REPORT
embargod idle cost ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, root with $PACKAGES dpkg packages, idle window ${IDLE} s)

| measure | value | goal |
|---|---|---|
| resident memory after the first scan (VmRSS) | ${RSS_SCAN} MB | |
| resident memory after ${IDLE} s idle | ${RSS_IDLE} MB: anonymous ${ANON_IDLE} MB, file-backed ${FILE_IDLE} MB (shared libraries, clean); PSS ${PSS_IDLE} MB | < 20 MB |
| resident memory after 10 scans (5 installs, 5 purges) | ${RSS_AFTER} MB | |
| peak resident memory (VmHWM) | ${HWM_AFTER} MB (${HWM} MB after the first scan) | |
| threads | ${THREADS} | |
| CPU time while idle | ${IDLE_CPU} s | |
| context switches while idle, no watchdog | ${IDLE_SWITCHES} | 0 |
| syscalls while idle (strace -f -c, ${IDLE} s) | ${STRACE_CALLS} | 0 |
| context switches while idle, WatchdogSec=20 | ${WATCHDOG_SWITCHES} (${WATCHDOG_PINGS} pings) | the pings only |
| install-to-journal latency (dpkg -i returns → entry), median / max of 5 | ${MEDIAN} s / ${MAXIMUM} s | < 2 s |
| systemd-journald resident memory (same machine) | ${JOURNALD_RSS} | |
| cron resident memory (same machine) | ${CRON_RSS} | |
REPORT
