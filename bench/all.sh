#!/usr/bin/env bash
# Every benchmark, in one run, on one machine: start-up against the peers,
# the audit log's cost against bare, bubblewrap and strace, the session
# boundary against guard before it, the network proxy, the repository scan,
# what unprivileged fanotify tells about who opened a file, and the floor of
# a trapped open (bench/notify_floor.sh) and what a privileged fanotify
# listener would cost instead (bench/fanotify_cost.sh), and what a trapped
# signal between threads costs (bench/signal_cost.sh).
# Each script installs what it needs (Debian packages, npm peers) and writes
# bench/results/*.md and .json; this one adds bench/results/all.txt with the
# machine and the time of the run. RUNS=N sets the runs per command.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
{
    echo "run: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "kernel: $(uname -r)"
    echo "cpus: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
    echo "user: $(id -un)"
} > bench/results/all.txt
for script in startup audit boundary proxy scan fanotify_pid fanotify_cost notify_floor signal_cost; do
    echo "== $script" | tee -a bench/results/all.txt
    started=$(date +%s)
    bash "bench/$script.sh" 2>&1 | tee -a bench/results/all.txt
    echo "($script: $(( $(date +%s) - started )) s)" | tee -a bench/results/all.txt
done
