#!/usr/bin/env bash
# What a privileged fast path for the read log would cost (issue 13): the
# open storm (rg over 20,000 files) bare, and with a fanotify listener that
# holds a mount mark and names every opened file from its event descriptor
# (bench/tools/fanotify_cost.c), with and without the opener's pidfd. Needs
# root (fanotify mount marks need CAP_SYS_ADMIN), a C compiler, hyperfine
# and ripgrep. Writes bench/results/fanotify_cost.md and .json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [ "$(id -u)" != 0 ]; then
    echo "fanotify_cost: needs root (fanotify mount marks); skipped"
    exit 0
fi
missing=()
for pair in hyperfine:hyperfine rg:ripgrep; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p bench/results
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/fanotify_cost" bench/tools/fanotify_cost.c
python3 bench/tools/small_files.py "$work/repo"
cd "$work/repo"
storm="rg --threads 1 -c zzz tree"
hyperfine -N -i --warmup 2 --runs "${RUNS:-10}" \
    --export-markdown "$root/bench/results/fanotify_cost.md" --export-json "$root/bench/results/fanotify_cost.json" \
    -n bare "$storm" \
    -n "no listener" "$work/fanotify_cost none $work/events -- $storm" \
    -n "fanotify, named" "$work/fanotify_cost fd $work/events -- $storm" \
    -n "fanotify, named, pidfd" "$work/fanotify_cost pidfd $work/events -- $storm"
echo "events in the last run: $(wc -l < "$work/events")"
