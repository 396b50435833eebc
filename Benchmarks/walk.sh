#!/usr/bin/env bash
# Times the file walk's parts against reference tools, side by side on one tree, and prints ratios
# (ours / theirs: below 1 is faster). Not a test: figures depend on the machine and its load.
#
#   Benchmarks/walk.sh [ROOT]          ROOT defaults to /usr (a tree every Linux host has)
#
# Environment: RUNS (best of, default 3), MARKER_ROOT (tree for the marker search, default
# ROOT/bin when it exists: single-threaded yara needs minutes for all of /usr, per run),
# SHA_MB (size of the hashed file, default 1024), SCRATCH (where that file goes, default /dev/shm).
# Needs: swift, gcc, find, yara, openssl. Builds everything it runs; leaves nothing behind.
set -euo pipefail

ROOT=${1:-/usr}
RUNS=${RUNS:-3}
if [[ -z ${MARKER_ROOT:-} ]]; then
    if [[ -d $ROOT/bin ]]; then MARKER_ROOT=$ROOT/bin; else MARKER_ROOT=$ROOT; fi
fi
SHA_MB=${SHA_MB:-1024}
SCRATCH=${SCRATCH:-/dev/shm}
MARKERS=kesl,kesl-control,klnagent,klnagent64,kav4fs,Kaspersky

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=$(mktemp -d)
sample="$SCRATCH/embargo-bench-sha.$$"
trap 'rm -rf "$work" "$sample"' EXIT
trap 'exit 130' INT TERM

for tool in swift gcc find yara openssl; do
    command -v "$tool" >/dev/null || { echo "walk.sh: $tool is needed" >&2; exit 1; }
done

echo "building embargo-bench (release)..." >&2
(cd "$repo" && swift build -c release --product embargo-bench >&2)
bench="$repo/.build/release/embargo-bench"

# The reference for the magic check: stat, open, read 4 bytes and close every regular file.
cat >"$work/magic4.c" <<'C'
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char *roots[] = {argv[1], NULL};
    FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_XDEV, NULL);
    FTSENT *entry;
    long files = 0, elf = 0;
    unsigned char magic[4];
    while ((entry = fts_read(fts)) != NULL) {
        if (entry->fts_info != FTS_F) continue;
        int fd = open(entry->fts_accpath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        if (read(fd, magic, 4) == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F') elf++;
        close(fd);
        files++;
    }
    fts_close(fts);
    printf("files=%ld elf=%ld\n", files, elf);
    return 0;
}
C
gcc -O2 -o "$work/magic4" "$work/magic4.c"

# yara rules equivalent to the marker search: each marker a whole word.
{
    echo "rule embargo_markers {"
    echo "  strings:"
    i=0
    IFS=, read -ra list <<<"$MARKERS"
    for marker in "${list[@]}"; do echo "    \$m$i = \"$marker\" fullword ascii"; i=$((i + 1)); done
    echo "  condition: any of them"
    echo "}"
} >"$work/markers.yar"

calc() { awk "BEGIN { print ($1) }"; }

# best SECONDS_VAR command...: runs the command RUNS times (after one warm-up run), keeps the
# best wall time, and the output of the last run in $last.
best() {
    local name=$1; shift
    "$@" >/dev/null 2>&1 || true
    local min=""
    for ((run = 0; run < RUNS; run++)); do
        local start=$EPOCHREALTIME
        last=$("$@" 2>/dev/null || true)
        local end=$EPOCHREALTIME
        local elapsed
        elapsed=$(calc "$end - $start")
        if [[ -z $min ]] || [[ $(calc "$elapsed < $min") == 1 ]]; then min=$elapsed; fi
    done
    printf -v "$name" '%.3f' "$min"
}
ratio() { printf '%.2f' "$(calc "$1 / $2")"; }
rate() { printf '%.0f' "$(calc "$1 / $2")"; }

echo "tree: $ROOT ($(nproc) cores, best of $RUNS after a warm-up run; page cache warm)"
echo

best find_s sh -c "find '$ROOT' -xdev -type f | wc -l"
find_files=$last
best walk_s "$bench" walk "$ROOT"
walk_files=$(sed -n 's/.*files=\([0-9]*\).*/\1/p' <<<"$last")
echo "walk          find -xdev -type f: ${find_s}s ($find_files files, $(rate "$find_files" "$find_s")/s)"
echo "              embargo walk:       ${walk_s}s ($walk_files files, $(rate "$walk_files" "$walk_s")/s)  ratio $(ratio "$walk_s" "$find_s")  (goal <= 1.5)"

best magic_c_s "$work/magic4" "$ROOT"
magic_c=$last
best magic_s "$bench" sniff "$ROOT"
echo "magic check   C loop (4 bytes):   ${magic_c_s}s ($magic_c)"
echo "              embargo sniff:      ${magic_s}s ($last)  ratio $(ratio "$magic_s" "$magic_c_s")  (goal <= 1.5)"

best yara1_s sh -c "yara -p 1 -r '$work/markers.yar' '$MARKER_ROOT' | wc -l"
yara_matches=$last
best yara_s sh -c "yara -r '$work/markers.yar' '$MARKER_ROOT' | wc -l"
best markers_s "$bench" markers "$MARKER_ROOT" "$MARKERS"
echo "markers       (over $MARKER_ROOT)"
echo "              yara -p 1:          ${yara1_s}s ($yara_matches files matched)"
echo "              yara (own threads): ${yara_s}s"
echo "              embargo markers:    ${markers_s}s ($last)  ratio to yara -p 1: $(ratio "$markers_s" "$yara1_s")  (goal <= 1)"

head -c "$((SHA_MB << 20))" /dev/urandom >"$sample"
best openssl_s openssl dgst -sha256 "$sample"
openssl_sum=$(awk '{print $NF}' <<<"$last")
best sha_s "$bench" sha256 "$sample"
sha_sum=$(awk '{print $1}' <<<"$last")
[[ $openssl_sum == "$sha_sum" ]] || echo "WARNING: digests differ ($openssl_sum vs $sha_sum)"
echo "sha256        openssl dgst:       ${openssl_s}s ($(rate "$SHA_MB" "$openssl_s") MiB/s on ${SHA_MB} MiB)"
echo "              embargo sha256:     ${sha_s}s ($(rate "$SHA_MB" "$sha_s") MiB/s)  ratio $(ratio "$sha_s" "$openssl_s")"

cold_best=""
for ((run = 0; run < RUNS; run++)); do
    rm -rf "$work/cache"
    start=$EPOCHREALTIME
    cold_out=$("$bench" scan "$ROOT" "$work/cache" "$MARKERS")
    elapsed=$(calc "$EPOCHREALTIME - $start")
    if [[ -z $cold_best ]] || [[ $(calc "$elapsed < $cold_best") == 1 ]]; then cold_best=$elapsed; fi
done
printf -v cold_s '%.3f' "$cold_best"
best warm_s "$bench" scan "$ROOT" "$work/cache" "$MARKERS"
echo "rescan        cold (no cache):    ${cold_s}s ($cold_out)"
echo "              warm (cache):       ${warm_s}s ($last)  warm/cold $(ratio "$warm_s" "$cold_s")  (goal < 0.10)"
