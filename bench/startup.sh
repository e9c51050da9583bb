#!/usr/bin/env bash
# Startup cost of a confined `/bin/true`: guard against bare and the peers.
# Installs what it needs (hyperfine, bubblewrap, firejail from Debian; Codex
# and sandbox-runtime from npm). Prints a hyperfine table and writes
# bench/results/startup.md and .json. Run as root or as a user with sudo-less
# access to apt only if the tools are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results

install_debian() {
    local missing=()
    for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}
install_debian hyperfine:hyperfine bwrap:bubblewrap firejail:firejail rg:ripgrep socat:socat  # srt needs rg and socat
command -v codex >/dev/null 2>&1 || npm install -g --no-fund --no-audit @openai/codex >/dev/null
command -v srt >/dev/null 2>&1 || npm install -g --no-fund --no-audit @anthropic-ai/sandbox-runtime >/dev/null

cargo build --release --quiet
guard=$PWD/target/release/guard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$work" init -q

commands=(
    -n bare "/bin/true"
    -n guard "$guard run -- /bin/true"
    -n "guard -p claude" "$guard run -p claude -- /bin/true"
    -n "guard (no namespaces)" "$guard --no-namespaces run -- /bin/true"
    -n bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all /bin/true"
    -n firejail "firejail --quiet --noprofile /bin/true"
    -n "codex sandbox" "codex sandbox /bin/true"
    -n srt "srt /bin/true"
)
cd "$work"
hyperfine -N --warmup 5 --runs "${RUNS:-50}" --export-json "$OLDPWD/bench/results/startup.json" \
    --export-markdown "$OLDPWD/bench/results/startup.md" "${commands[@]}"

# Peak memory of the guard process (supervisor) for one session.
/usr/bin/time -f 'guard peak RSS: %M KiB' "$guard" run -- /bin/true
