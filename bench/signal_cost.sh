#!/usr/bin/env bash
# What a signal between two threads costs bare and in a guard session, which
# traps every call that sends a signal (bench/tools/signal_cost.c). Needs a C
# compiler; writes bench/results/signal_cost.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
cargo build --release --quiet
guard=$PWD/target/release/guard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state
cc -O2 -pthread -o "$work/signal_cost" bench/tools/signal_cost.c
out=bench/results/signal_cost.txt
: > "$out"
median() { sort -n | awk '{ values[NR] = $1 } END { print values[int((NR + 1) / 2)] }'; }
bare=$(for _ in 1 2 3 4 5; do "$work/signal_cost" 20000; done | median)
guarded=$(for _ in 1 2 3 4 5; do "$guard" run --allow-exec "$work/signal_cost" -- "$work/signal_cost" 20000; done | median)
echo "tgkill to another thread: bare ${bare} µs, in a session ${guarded} µs (medians of 5 runs of 20,000)" | tee -a "$out"
