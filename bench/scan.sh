#!/usr/bin/env bash
# `guard scan`: throughput, parallelism, incremental re-scan and noise.
#
#   1. the crates.io sources cargo unpacked in the local registry (real code
#      nobody here wrote; every finding there is a false positive or a
#      curiosity), and a generated 200 MB, 20,000-file tree
#      (bench/tools/make_tree.py), each scanned by guard with one thread and
#      with every core, against rg with an equivalent pattern set as the
#      yardstick (rg reads and matches; it does not decode or judge);
#   2. an incremental re-scan of the unchanged 20,000-file tree as a git
#      repository (what `scan.on_start` does before every session);
#   3. findings per 10,000 files on the registry sources, by rule and severity.
#
# Writes bench/results/scan-*.md and .json; prints the medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
need() { command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need rg ripgrep
need git git
cargo build --release --quiet
cargo fetch --quiet
guard=$root/target/release/guard
results=$root/bench/results
mkdir -p "$results"
cores=$(nproc)
runs=${RUNS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state

registry=(${CARGO_HOME:-$HOME/.cargo}/registry/src/*/)
generated=$work/generated
python3 bench/tools/make_tree.py "$generated" "${TREE_MB:-200}" "${TREE_FILES:-20000}"

# rg with the scan rules' patterns: hidden characters, the phrases that
# address a model, hidden places (HTML comments, <details>), encoded blobs.
instruction=$(sed -n 's/^const INSTRUCTION_PATTERN: &str = r"\(.*\)";$/\1/p' src/scan/rules.rs)
[ -n "$instruction" ] || { echo "INSTRUCTION_PATTERN not found in src/scan/rules.rs" >&2; exit 1; }
rg_patterns=(-e '[\x{E0000}-\x{E007F}\x{202A}-\x{202E}\x{2066}-\x{2069}\x{200B}-\x{200D}\x{2060}\x{FEFF}]'
    -e "$instruction" -e '<!--|<details' -e '[A-Za-z0-9+/]{120,}={0,2}')

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.3f" % x["median"] for x in r))' "$1"; }

for corpus in registry generated; do
    if [ $corpus = registry ]; then paths=("${registry[@]}"); else paths=("$generated"); fi
    files=$(find "${paths[@]}" -type f | wc -l)
    bytes=$(find "${paths[@]}" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
    echo "== $corpus: $files files, $((bytes / 1048576)) MB"
    hyperfine -N -i --warmup 1 --runs "$runs" \
        --export-markdown "$results/scan-$corpus.md" --export-json "$results/scan-$corpus.json" \
        -n "guard scan -j1" "$guard scan -j1 --format json ${paths[*]}" \
        -n "guard scan -j$cores" "$guard scan -j$cores --format json ${paths[*]}" \
        -n "rg -j1" "rg -j1 -uuu -c --no-messages ${rg_patterns[*]@Q} ${paths[*]}" \
        -n "rg -j$cores" "rg -j$cores -uuu -c --no-messages ${rg_patterns[*]@Q} ${paths[*]}" >/dev/null
    read -r g1 gn r1 rn <<<"$(median "$results/scan-$corpus.json")"
    python3 - "$bytes" "$g1" "$gn" "$r1" "$rn" <<'PY'
import sys
size, g1, gn, r1, rn = int(sys.argv[1]), *map(float, sys.argv[2:])
mb = size / 1048576
for name, t in (("guard -j1", g1), ("guard -jN", gn), ("rg -j1", r1), ("rg -jN", rn)):
    print(f"  {name:10} median {t:7.3f} s  {mb / t:7.1f} MB/s")
print(f"  guard/rg throughput: one thread {r1 / g1:.2f}, all cores {rn / gn:.2f}")
PY
done

echo "== incremental re-scan of the unchanged generated tree (a git repository)"
git -C "$generated" init -q && git -C "$generated" add -A
sleep 2 # statuses younger than a second are hashed again, not trusted
"$guard" scan --incremental "$generated" >/dev/null || true
hyperfine -N -i --warmup 2 --runs "$runs" \
    --export-markdown "$results/scan-incremental.md" --export-json "$results/scan-incremental.json" \
    -n "guard scan --incremental (unchanged)" "$guard scan --incremental $generated" >/dev/null
echo "  median $(median "$results/scan-incremental.json") s for $(git -C "$generated" ls-files | wc -l) files"

echo "== findings on the registry sources"
"$guard" scan --fail-on high --format json "${registry[@]}" >"$work/findings.json" || true
python3 - "$work/findings.json" "$(find "${registry[@]}" -type f | wc -l)" <<'PY'
import collections, json, sys
findings, files = json.load(open(sys.argv[1])), int(sys.argv[2])
at_least = lambda levels: sum(1 for f in findings if f["severity"] in levels)
print(f"  {len(findings)} findings in {files} files: "
      f"{len(findings) * 10000 / files:.1f} per 10,000 files in all, "
      f"{at_least({'medium', 'high'}) * 10000 / files:.1f} at medium and up (what warn reports)")
for (rule, severity), n in sorted(collections.Counter((f["rule"], f["severity"]) for f in findings).items()):
    print(f"    {rule} ({severity}): {n}")
PY
