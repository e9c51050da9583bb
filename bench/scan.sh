#!/usr/bin/env bash
# Speed and noise of `guard scan` on real third-party source: every crate
# guard itself depends on, as cargo unpacked them (~4,500 files, ~90 MB).
# Writes bench/results/scan.md (timing) and prints the findings by rule and
# severity: on published crates each one is a false positive or a curiosity.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release --quiet
cargo fetch --quiet
guard=$root/target/release/guard
corpus=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/ | head -1)
echo "corpus: $corpus: $(find "$corpus" -type f | wc -l) files, $(du -sh "$corpus" | cut -f1)"
hyperfine -N -i --warmup 1 --runs "${RUNS:-10}" --export-markdown "$root/bench/results/scan.md" \
    -n "guard scan (crates.io sources)" "$guard scan --format json $corpus"
"$guard" scan --format json "$corpus" | python3 -c '
import collections, json, sys
findings = json.load(sys.stdin)
print(len(findings), "findings")
for (rule, severity), n in sorted(collections.Counter((f["rule"], f["severity"]) for f in findings).items()):
    print(f"  {rule} ({severity}): {n}")
' || true
