#!/usr/bin/env bash
# Regenerates the committed shell completions and man page from the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
guard=target/debug/guard
"$guard" completions bash > completions/guard.bash
"$guard" completions zsh > completions/_guard
"$guard" completions fish > completions/guard.fish
"$guard" man > man/guard.1
