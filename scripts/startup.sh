#!/usr/bin/env bash
# Start-up time and idle memory: builds gatehouse, starts "serve" on a
# scratch data directory three times (the first creates the store and the
# development CA), and prints the milliseconds from exec to the banner and
# the resident memory two seconds later.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/gatehouse" ./cmd/gatehouse
for run in 1 2 3; do
  start=$(date +%s%N)
  GATEHOUSE_DATA_DIR=$dir "$dir/gatehouse" serve --addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --log-level warn >"$dir/out" 2>"$dir/err" &
  pid=$!
  until grep -q 'try: curl' "$dir/out" 2>/dev/null; do sleep 0.002; done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 2
  rss=$(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)
  echo "run $run: banner after ${ms} ms, idle RSS $rss"
  kill $pid; wait $pid || true
done
