#!/usr/bin/env bash
# Load test: start a server on a scratch data directory, make a service
# account and a key, then drive /healthz (no auth) and /api/me (API key)
# with wrk from a second process on loopback. Needs wrk (apt-get install wrk).
#
#   scripts/load.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
command -v wrk >/dev/null || { echo "load.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/gatehouse" ./cmd/gatehouse
export GATEHOUSE_DATA_DIR=$dir GATEHOUSE_LOG_LEVEL=warn
"$dir/gatehouse" serve --addr 127.0.0.1:18443 --http-addr off >"$dir/out" 2>"$dir/err" &
pid=$!
until grep -q 'try: curl' "$dir/out" 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$dir/err" >&2; exit 1; }
  sleep 0.1
done
"$dir/gatehouse" users add --service load --role reader >/dev/null
key=$("$dir/gatehouse" keys create --user load --label load --scope read 2>/dev/null)

for target in healthz api/me; do
  echo "== /$target, ${secs}s, $conns connections"
  wrk -t1 -c"$conns" -d"${secs}s" --latency -H "Authorization: apikey $key" "https://127.0.0.1:18443/$target" |
    grep -E 'Requests/sec|Latency|99%'
done
