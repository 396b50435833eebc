#!/bin/sh
# Issue 2 benchmark: `embargo inventory` and `embargo scan` of this machine against
#   dpkg-query -W (the native floor), trivy (offline rootfs, OS packages) and syft (dpkg cataloger).
# Usage: Benchmarks/dpkg-inventory.sh [ROOT]   (default /)
set -eu
cd "$(dirname "$0")/.."
root="${1:-/}"
scripts/install-dependencies build >/dev/null
swift build -c release --static-swift-stdlib --product embargo --scratch-path .build-static >/dev/null
peers=$(Benchmarks/setup-peers.sh)
export SYFT_CHECK_FOR_APP_UPDATE=false
embargo=.build-static/release/embargo
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
packages=$(dpkg-query --admindir="$root/var/lib/dpkg" -W | wc -l)
echo "root $root: $packages dpkg packages; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
python3 Benchmarks/compare.py --title "dpkg inventory of $root" --runs 20 \
    "dpkg-query -W=dpkg-query --admindir=$root/var/lib/dpkg -W" \
    "embargo inventory=$embargo inventory --root $root --format json" \
    "embargo scan=$embargo scan --root $root --format json" \
    "trivy rootfs@3=$peers/trivy rootfs --quiet --cache-dir $cache/trivy --skip-db-update --skip-java-db-update --skip-version-check --disable-telemetry --offline-scan --pkg-types os --format cyclonedx $root" \
    "syft dpkg cataloger@1=$peers/syft scan -q dir:$root --select-catalogers dpkg -o syft-json"
