#!/usr/bin/env bash
# Cost of the audit log: bare against guard with log.files = all / writes /
# none, bubblewrap (confinement without a log) and strace (what people use to
# log this today), on an open storm, an exec storm and two realistic jobs.
# Installs hyperfine, ripgrep, bubblewrap and strace from Debian when missing. Writes bench/results/audit-*.md and .json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p bench/results
missing=()
for pair in hyperfine:hyperfine rg:ripgrep strace:strace git:git bwrap:bubblewrap; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cargo build --release --quiet
guard=$root/target/release/guard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state

# 20,000 small files in 200 directories, in a git repository.
python3 bench/tools/small_files.py "$work/repo"
git -C "$work/repo" init -q
git -C "$work/repo" config user.email bench@example.com
git -C "$work/repo" config user.name bench
# A small cargo project with no dependencies.
mkdir -p "$work/repo/crate/src"
printf '[package]\nname = "small"\nversion = "0.1.0"\nedition = "2021"\n' > "$work/repo/crate/Cargo.toml"
printf 'fn main() { println!("{}", (1..100u64).sum::<u64>()); }\n' > "$work/repo/crate/src/main.rs"

for level in all writes none; do
    # The repository scan before the session (on in the assistant profiles)
    # is not what is measured here: bench/scan.sh measures it.
    printf 'extends = ["builtin:assistant"]\n[tools]\nallow = ["rg", "git", "cargo", "rustc", "cc"]\n[log]\nfiles = "%s"\n[scan]\non_start = "off"\n' "$level" > "$work/$level.toml"
done
cd "$work/repo"
trace="strace -f -qq -o /dev/null -e trace=execve,execveat,openat,open,creat"
# The repository writable, the rest read-only, as a session sees it.
bwrap="bwrap --ro-bind / / --dev /dev --proc /proc --bind $work/repo $work/repo --unshare-all --chdir $work/repo"

run() {
    local name=$1 command=$2 prepare=${3:-true}
    hyperfine -N -i --warmup 2 --runs "${RUNS:-10}" --prepare "$prepare" \
        --export-markdown "$root/bench/results/audit-$name.md" --export-json "$root/bench/results/audit-$name.json" \
        -n bare "$command" \
        -n "guard all" "$guard run -p $work/all.toml -- $command" \
        -n "guard writes" "$guard run -p $work/writes.toml -- $command" \
        -n "guard none" "$guard run -p $work/none.toml -- $command" \
        -n bwrap "$bwrap $command" \
        -n strace "$trace $command"
}

run open-storm "rg --threads 1 -c zzz tree"
run exec-storm "bash -c 'for i in \$(seq 1000); do /bin/true; done'"
run git "bash -c 'git add -A && git status --porcelain | tail -1'" "bash -c 'git -C $work/repo rm -rq --cached . >/dev/null 2>&1; true'"
run cargo "cargo build --offline --quiet --manifest-path crate/Cargo.toml" "bash -c 'rm -rf $work/repo/crate/target'"

# Supervisor CPU time and peak memory, for the open storm with log.files = all.
/usr/bin/time -f 'guard (all), open storm: %e s wall, %U s user, %S s system, peak RSS %M KiB' \
    "$guard" run -p "$work/all.toml" -- rg --threads 1 -c zzz tree >/dev/null || true
# The log's size per record, from that session's log (`sed` reads the
# whole list: `head` would end `ls` early, and pipefail end the script).
log=$(ls -t "$XDG_STATE_HOME"/guard/sessions/*.jsonl | sed -n 1p)
records=$(wc -l < "$log")
bytes=$(stat -c %s "$log")
echo "log size: $records records, $bytes bytes: $((bytes / records)) bytes a record, $((bytes * 1000 / records / 1024)) KiB per 1,000 records"
