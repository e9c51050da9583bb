#!/usr/bin/env bash
# Two guard binaries on the same jobs, interleaved, with log.files = all:
# what a change costs or saves. Usage: bench/compare.sh OLD_GUARD NEW_GUARD
# (build the old one from a worktree: git worktree add /tmp/old COMMIT &&
# CARGO_TARGET_DIR=/tmp/old-target cargo build --release --manifest-path
# /tmp/old/Cargo.toml). Installs hyperfine and ripgrep from Debian when
# missing. Writes bench/results/compare-*.md and .json.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_GUARD NEW_GUARD" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2")
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p bench/results
missing=()
for pair in hyperfine:hyperfine rg:ripgrep git:git; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state

# 20,000 small files in 200 directories, in a git repository (as bench/audit.sh).
python3 bench/tools/small_files.py "$work/repo"
git -C "$work/repo" init -q
git -C "$work/repo" config user.email bench@example.com
git -C "$work/repo" config user.name bench
printf 'extends = ["builtin:assistant"]\n[tools]\nallow = ["rg", "git"]\n[log]\nfiles = "all"\n[scan]\non_start = "off"\n' > "$work/all.toml"
cd "$work/repo"

run() {
    local name=$1 command=$2 prepare=${3:-true}
    hyperfine -N -i --warmup 2 --runs "${RUNS:-10}" --prepare "$prepare" \
        --export-markdown "$root/bench/results/compare-$name.md" --export-json "$root/bench/results/compare-$name.json" \
        -n bare "$command" \
        -n old "$old run -p $work/all.toml -- $command" \
        -n new "$new run -p $work/all.toml -- $command"
}

run open-storm "rg --threads 1 -c zzz tree"
run git "bash -c 'git add -A && git status --porcelain | tail -1'" "bash -c 'git -C $work/repo rm -rq --cached . >/dev/null 2>&1; true'"
run startup "/bin/true"
