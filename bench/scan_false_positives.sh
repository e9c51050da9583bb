#!/usr/bin/env bash
# False positives of `guard scan` on real code nobody here wrote: the 100
# crates of bench/corpus/crates.txt (fetched by cargo from crates.io) and the
# 100 npm packages of bench/corpus/npm.txt (installed with scripts off), each
# package's own files scanned, READMEs and docs included. Every high finding
# is printed for triage. Writes bench/results/scan-false-positives.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cargo build --release --quiet
guard=$root/target/release/guard
work=${SCAN_FP_WORK:-$(mktemp -d)}
mkdir -p "$work"
export XDG_STATE_HOME=$work/state

# The crates: a scratch crate depending on all of them, fetched into a
# scratch CARGO_HOME so that nothing else is in its registry.
mkdir -p "$work/crates/src"
echo 'fn main() {}' > "$work/crates/src/main.rs"
{ printf '[package]\nname = "corpus"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n'
  grep -v '^#' bench/corpus/crates.txt; } > "$work/crates/Cargo.toml"
CARGO_HOME=$work/cargo-home cargo fetch --quiet --manifest-path "$work/crates/Cargo.toml"
crate_dirs=$(ls -d "$work"/cargo-home/registry/src/*/*/)

# The npm packages, each its own top-level directory.
mkdir -p "$work/npm"
( cd "$work/npm" && [ -f package.json ] || npm init -y >/dev/null
  npm install --ignore-scripts --no-audit --no-fund --silent $(grep -v '^#' "$root/bench/corpus/npm.txt") >/dev/null )
npm_dirs=$(grep -v '^#' bench/corpus/npm.txt | sed 's/@[^@]*$//' | while read -r name; do echo "$work/npm/node_modules/$name"; done)

count_lines() {
    find "$@" -type f -size -4M -not -path '*/node_modules/*/node_modules/*' -print0 \
        | xargs -0 grep -Il '' 2>/dev/null | tr '\n' '\0' | xargs -0 cat 2>/dev/null | wc -l
}
report=$root/bench/results/scan-false-positives.md
mkdir -p "$root/bench/results"
{
    echo "# guard scan on real code ($(date -u +%F), rules version $(sed -n 's/^pub const RULES_VERSION: u32 = \([0-9]*\);/\1/p' src/scan/rules.rs))"
    echo
    echo "| corpus | packages | lines | high | medium | high per 100k lines | medium per 100k lines |"
    echo "|---|---|---|---|---|---|---|"
} > "$report"
highs=$work/highs.txt
: > "$highs"
for corpus in crates npm; do
    dirs=$([ $corpus = crates ] && echo "$crate_dirs" || echo "$npm_dirs")
    # shellcheck disable=SC2086
    lines=$(count_lines $dirs)
    # shellcheck disable=SC2086
    "$guard" scan $dirs --format json --fail-on high > "$work/$corpus.json" || true
    read -r high medium < <(python3 - "$work/$corpus.json" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
print(sum(f["severity"] == "high" for f in findings), sum(f["severity"] == "medium" for f in findings))
PY
)
    python3 - "$work/$corpus.json" >> "$highs" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1])):
    if f["severity"] == "high":
        print(f'{f["file"]}:{f["line"]}: {f["rule"]}: {f["message"]}')
PY
    packages=$(echo "$dirs" | wc -w)
    awk -v c=$corpus -v p=$packages -v l=$lines -v h=$high -v m=$medium \
        'BEGIN { printf "| %s | %d | %d | %d | %d | %.2f | %.2f |\n", c, p, l, h, m, h*100000/l, m*100000/l }' >> "$report"
done
{ echo; echo "High findings:"; echo; sed 's/^/    /' "$highs"; } >> "$report"
cat "$report"
