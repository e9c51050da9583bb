#!/usr/bin/env bash
# Cost of the session boundary (issue: "the session boundary holds"):
# ordinary work under the assistant profile with guard as it was before the
# boundary work (BEFORE, default a856e7b) and as it is now, side by side:
# a git checkout of a large tree, a `git add` that writes 10,000 new objects
# (each verified now), a small cargo build, an offline npm install from the
# shared cache (layered now). Installs hyperfine from Debian
# when missing. Writes bench/results/boundary-*.md and .json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
before=${BEFORE:-a856e7b}
mkdir -p bench/results
command -v hyperfine >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends hyperfine >/dev/null
}
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/before-src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cargo build --release --quiet
git -C "$root" worktree add -q --detach "$work/before-src" "$before"
cargo build --release --quiet --manifest-path "$work/before-src/Cargo.toml" --target-dir "$work/before-target"
now=$root/target/release/guard
old=$work/before-target/release/guard
export XDG_STATE_HOME=$work/state

# Two branches that differ in every one of 10,000 files.
python3 - "$work/repo" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/tree/d{d}", exist_ok=True)
    for f in range(100):
        with open(f"{root}/tree/d{d}/f{f}.txt", "w") as out:
            out.write(f"file {d}/{f}\n" * 20)
PY
cd "$work/repo"
git init -q -b one && git config user.email bench@example.com && git config user.name bench
git add -A && git commit -qm one
git checkout -qb two && sed -i 's/file/line/' tree/d*/f*.txt && git commit -qam two
# A small crate without dependencies, and an npm package in the shared cache.
mkdir -p crate/src
printf '[package]\nname = "small"\nversion = "0.1.0"\nedition = "2021"\n' > crate/Cargo.toml
printf 'fn main() { println!("{}", (1..100u64).sum::<u64>()); }\n' > crate/src/main.rs
mkdir -p web && printf '{"name":"web","version":"1.0.0"}\n' > web/package.json
npm cache add is-number@7.0.0 >/dev/null 2>&1
git add -A && git commit -qm tools

profile=$work/bench.toml
printf 'extends = ["builtin:assistant"]\n[tools]\nallow = ["git", "cargo", "rustc", "cc", "npm", "node"]\n' > "$profile"
run() {
    local name=$1 command=$2 prepare=${3:-true}
    hyperfine -N -i --warmup 2 --runs "${RUNS:-10}" --prepare "$prepare" \
        --export-markdown "$root/bench/results/boundary-$name.md" --export-json "$root/bench/results/boundary-$name.json" \
        -n bare "$command" \
        -n "guard before ($before)" "$old run -p $profile -- $command" \
        -n "guard now" "$now run -p $profile -- $command"
}
run checkout "bash -c 'git checkout -q one && git checkout -q two'"
# Every run stages 10,000 files with content git has not seen: the objects
# the last run wrote are pruned and every file gets a new first line.
fresh="bash -c 'git reset -q && git prune --expire=now && n=\$(date +%s%N) && sed -i \"1s/.*/\$n/\" tree/d*/f*.txt'"
run add "git add -A" "$fresh"
# 100 commits: each renames a ref into place (checked on its way into .git),
# appends to two reflogs and writes COMMIT_EDITMSG.
run commits "bash -c 'for i in \$(seq 100); do git commit -q --allow-empty -m x; done'"
run cargo "cargo build --offline -q --manifest-path crate/Cargo.toml" "rm -rf crate/target"
run npm "npm install --offline --no-audit --no-fund -s --prefix web is-number@7.0.0" "rm -rf web/node_modules web/package-lock.json"
