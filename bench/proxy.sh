#!/usr/bin/env bash
# Throughput and per-connection latency of guard's network proxy
# (network.mode = "allow") against direct connections, from loopback servers:
# a 100 MB download, and 1,000 small requests (each its own connection).
# Direct runs are unconfined; proxied runs are inside a session whose only
# way out is the proxy. Writes bench/results/proxy.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release --quiet
guard=$root/target/release/guard
work=$(mktemp -d)
state=$(mktemp -d)   # outside the session's writable repository
trap 'kill $server 2>/dev/null; rm -rf "$work" "$state"' EXIT
export XDG_STATE_HOME=$state
head -c 100000000 /dev/zero > "$work/big"
echo small > "$work/small"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$work" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q "port" "$work/server.log" && break; sleep 0.1; done
port=$(grep -o 'port [0-9]*' "$work/server.log" | head -1 | cut -d' ' -f2)
cat > "$work/client.py" <<PY
import sys, time, urllib.request
what, count = sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener() if len(sys.argv) > 3 else urllib.request.build_opener(urllib.request.ProxyHandler({}))
for _ in range(count):
    with opener.open("http://bench.test:$port/" + what) as response:
        while response.read(1 << 20):
            pass
PY
# Direct runs resolve bench.test through /etc/hosts-free means: use 127.0.0.1.
sed "s/bench.test/127.0.0.1/" "$work/client.py" > "$work/direct.py"
session="$guard run --allow-exec /usr/bin/python3 --allow-read $work --allow-domain bench.test:$port --resolve bench.test:$port:127.0.0.1 --"
mkdir "$work/repo" && cd "$work/repo"
hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-markdown "$root/bench/results/proxy.md" \
    -n "direct, 100 MB" "/usr/bin/python3 $work/direct.py big 1" \
    -n "proxy, 100 MB" "$session /usr/bin/python3 $work/client.py big 1 proxy" \
    -n "direct, 1000 requests" "/usr/bin/python3 $work/direct.py small 1000" \
    -n "proxy, 1000 requests" "$session /usr/bin/python3 $work/client.py small 1000 proxy"
