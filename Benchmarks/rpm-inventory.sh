#!/bin/sh
# rpm benchmark: `embargo inventory` of fake roots holding the real rpm databases of
# ../shared/fixtures, against rpm -qa (the native floor, where Debian's rpm reads the format),
# trivy and syft, in one run on one machine.
#   centos7-httpd24  Berkeley DB  /var/lib/rpm/Packages               225 packages
#   sle15-bci        NDB          /usr/lib/sysimage/rpm/Packages.db    35 packages (Debian's rpm has no NDB)
#   cbl-mariner-2.0  SQLite       /var/lib/rpm/rpmdb.sqlite           129 packages
# Usage: Benchmarks/rpm-inventory.sh   (EMBARGO_SHARED_FIXTURES overrides the fixture directory)
set -eu
cd "$(dirname "$0")/.."
fixtures="${EMBARGO_SHARED_FIXTURES:-../shared/fixtures}"
scripts/install-dependencies build >/dev/null
command -v rpm >/dev/null 2>&1 || { echo "rpm is needed: apt-get install -y rpm" >&2; exit 2; }
# Built as Packaging/README.md builds release binaries (Swift runtime linked statically), in a
# separate build directory so the other benchmarks' build is left alone.
scripts/build-release embargo 2>/dev/null
peers=$(Benchmarks/setup-peers.sh)
export SYFT_CHECK_FOR_APP_UPDATE=false LC_ALL=C
embargo=.build-static/release/embargo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# make_root NAME DATABASE DIRECTORY OS-RELEASE: a root with the database at DIRECTORY and an
# os-release naming the distribution, so that trivy recognises it.
make_root() {
    mkdir -p "$work/$1/$3" "$work/$1/etc"
    cp "$2" "$work/$1/$3/"
    printf '%s\n' "$4" > "$work/$1/etc/os-release"
    echo "$work/$1"
}
centos=$(make_root centos7-httpd24 "$fixtures/go-rpmdb/centos7-httpd24/Packages" var/lib/rpm \
    'NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"')
echo "CentOS Linux release 7.6.1810 (Core)" > "$centos/etc/centos-release"
sles=$(make_root sle15-bci "$fixtures/go-rpmdb/sle15-bci/Packages.db" usr/lib/sysimage/rpm \
    'NAME="SLES"
VERSION="15-SP3"
VERSION_ID="15.3"
ID="sles"
ID_LIKE="suse"')
mkdir -p "$sles/var/lib" && ln -s ../../usr/lib/sysimage/rpm "$sles/var/lib/rpm"
mariner=$(make_root cbl-mariner-2.0 "$fixtures/go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite" var/lib/rpm \
    'NAME="Common Base Linux Mariner"
VERSION="2.0.20220226"
ID=mariner
VERSION_ID="2.0"')

trivy() { echo "trivy rootfs@3=$peers/trivy rootfs --quiet --cache-dir $work/trivy-cache --skip-db-update --skip-java-db-update --skip-version-check --disable-telemetry --offline-scan --pkg-types os --format cyclonedx $1"; }
syft() { echo "syft rpm cataloger@2=$peers/syft scan -q dir:$1 --select-catalogers rpm -o syft-json"; }

echo "$(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
python3 Benchmarks/compare.py --title "CentOS 7 httpd24, Berkeley DB, 225 packages" --runs 20 \
    "embargo inventory=$embargo inventory --root $centos --format json" \
    "rpm -qa=rpm --root $centos --dbpath /var/lib/rpm --define '_db_backend bdb_ro' -qa" \
    "$(trivy "$centos")" "$(syft "$centos")"
python3 Benchmarks/compare.py --title "SLES 15 SP3, NDB, 35 packages" --runs 20 \
    "embargo inventory=$embargo inventory --root $sles --format json" \
    "$(trivy "$sles")" "$(syft "$sles")"
python3 Benchmarks/compare.py --title "CBL-Mariner 2.0, SQLite, 129 packages" --runs 20 \
    "embargo inventory=$embargo inventory --root $mariner --format json" \
    "rpm -qa=rpm --root $mariner --dbpath /var/lib/rpm -qa" \
    "$(trivy "$mariner")" "$(syft "$mariner")"
