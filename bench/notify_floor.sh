#!/usr/bin/env bash
# The floor of a trapped open on this machine, and what the supervisor's own
# work per call does to it (bench/tools/notify_floor.c): each way of
# answering (continue, descriptor then answer, both in one ioctl, descriptor
# then answer with the trapped thread held to the supervisor's CPU) with 0, 5
# and 20 µs of stand-in work, and with `perf stat` counting CPU migrations
# when perf is there. Needs a C compiler; writes bench/results/notify_floor.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/notify_floor" bench/tools/notify_floor.c
out=bench/results/notify_floor.txt
: > "$out"
for answer in bare continue addfd send pinned; do
    spins="0 5 20"
    [ "$answer" = bare ] && spins=0
    for spin in $spins; do
        # Five runs each; the VM's scheduler makes single runs noisy.
        times=$(for _ in 1 2 3 4 5; do "$work/notify_floor" "$answer" "$spin" 10000; done | awk '{print $1}' | sort -n | tr '\n' ' ')
        median=$(echo "$times" | awk '{print $3}')
        migrations=""
        if command -v perf >/dev/null 2>&1; then
            migrations=$(perf stat -x, -e cpu-migrations -- "$work/notify_floor" "$answer" "$spin" 10000 2>&1 >/dev/null | awk -F, '/cpu-migrations/ {print $1}')
            migrations=", $migrations CPU migrations per 10,000 opens"
        fi
        echo "$answer, ${spin} µs of work: median ${median} µs per open (runs: $times)$migrations" | tee -a "$out"
    done
done
