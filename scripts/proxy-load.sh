#!/usr/bin/env bash
# Proxy load test: the same wrk load, from a second process on loopback,
# against (1) the example upstream alone, (2) a bare httputil.ReverseProxy
# (examples/bareproxy: the gateway's transport, listener, timeouts, TLS
# configuration and certificate) and (3) "gatehouse proxy" with an API
# key, in interleaved rounds; prints the medians of req/s and p50/p99 side
# by side with each proxy's CPU time per request (the upstream's
# excluded), and Gatehouse's throughput as a share of the bare proxy's:
# of the medians, and round by round (the two proxies of a round run one
# right after the other) with the median of those shares.
# Both proxies must negotiate the same TLS version and cipher, or the run
# stops. With taskset, wrk runs on CPU 0 and the servers on CPU 1.
#
#   scripts/proxy-load.sh [seconds] [connections] [rounds]   # defaults: 10 32 5
#
# GATEHOUSE_BIN=path measures that gatehouse binary (an older build, say)
# instead of one built from this tree.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
rounds=${3:-5}
command -v wrk >/dev/null || { echo "proxy-load.sh needs wrk (apt-get install wrk)" >&2; exit 1; }

up_addr=127.0.0.1:39000 bare_addr=127.0.0.1:39443 gh_addr=127.0.0.1:38443
client=() server=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then client=(taskset -c 0) server=(taskset -c 1); fi

dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
if [ -n "${GATEHOUSE_BIN:-}" ]; then cp "$GATEHOUSE_BIN" "$dir/gatehouse"; else go build -o "$dir/gatehouse" ./cmd/gatehouse; fi
go build -o "$dir/upstream" ./examples/upstream
go build -o "$dir/bareproxy" ./examples/bareproxy
export GATEHOUSE_DATA_DIR=$dir/data GATEHOUSE_LOG_LEVEL=warn

# waitfor URL: until it answers (any status), or the server died.
waitfor() {
  for _ in $(seq 100); do curl -ks -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2; cat "$dir"/*.err >&2; exit 1
}

"${server[@]}" "$dir/upstream" --addr $up_addr 2>"$dir/upstream.err" & pids+=($!); up_pid=$!
"${server[@]}" "$dir/gatehouse" proxy --addr $gh_addr --http-addr off --upstream http://$up_addr \
  --routes examples/routes.yaml >"$dir/gatehouse.out" 2>"$dir/gatehouse.err" & pids+=($!); gh_pid=$!
waitfor http://$up_addr/public/hello
waitfor https://$gh_addr/.gatehouse/health
"${server[@]}" "$dir/bareproxy" -addr $bare_addr -upstream http://$up_addr -data-dir "$dir/data" 2>"$dir/bare.err" & pids+=($!); bare_pid=$!
waitfor https://$bare_addr/public/hello

# tlsinfo ADDR: the protocol and cipher a client negotiates.
tlsinfo() { openssl s_client -connect "$1" </dev/null 2>/dev/null | awk '/^New,/ {print $2, $5}'; }
if command -v openssl >/dev/null; then
  bare_tls=$(tlsinfo $bare_addr) gh_tls=$(tlsinfo $gh_addr)
  [ -n "$bare_tls" ] && [ "$bare_tls" = "$gh_tls" ] || { echo "TLS differs: bare '$bare_tls', gatehouse '$gh_tls'" >&2; exit 1; }
fi

"$dir/gatehouse" users add --service load --role reader >/dev/null 2>&1
key=$("$dir/gatehouse" keys create --user load --label load --scope read 2>/dev/null)
# The key must work before it is measured.
code=$(curl -ks -o /dev/null -w '%{http_code}' -H "Authorization: apikey $key" https://$gh_addr/api/hello)
[ "$code" = 200 ] || { echo "gatehouse answered $code to the key" >&2; exit 1; }

# cputicks PID: the user and system CPU time the process has used, in ticks.
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure NAME PID URL [HEADER]: one wrk run; prints "req/s p50 p99 cpu",
# latencies in ms and cpu the server's CPU time per request in µs (the
# measure that noise from other processes on the machine disturbs least).
measure() {
  local out before after
  before=$(cputicks "$2")
  out=$("${client[@]}" wrk -t1 -c"$conns" -d"${secs}s" --latency ${4:+-H "$4"} "$3")
  after=$(cputicks "$2")
  if grep -q 'Non-2xx' <<<"$out"; then echo "$1: non-2xx responses" >&2; echo "$out" >&2; exit 1; fi
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
       function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
       /Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} / requests in / {n=$1}
       END { printf "%.0f %.2f %.2f %.1f\n", r, ms(p50), ms(p99), ticks / hz * 1e6 / n }' <<<"$out"
}

median() { awk 'NF' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run NAME: one measurement of NAME, printed as measure prints it.
run() {
  case $1 in
    upstream)  measure upstream $up_pid http://$up_addr/api/hello ;;
    bare)      measure bare $bare_pid https://$bare_addr/api/hello ;;
    gatehouse) measure gatehouse $gh_pid https://$gh_addr/api/hello "Authorization: apikey $key" ;;
  esac
}

# A short unmeasured run of each first: connections, caches and the heap
# settle before anything counts.
for name in upstream bare gatehouse; do secs=2 run $name >/dev/null; done

declare -A rps p50 p99 cpu this
ratios=""
for round in $(seq "$rounds"); do
  # The proxies take turns going first, so that neither always runs
  # right after the other.
  order="upstream bare gatehouse"
  if [ $((round % 2)) = 0 ]; then order="upstream gatehouse bare"; fi
  for name in $order; do
    read -r r a b c < <(run $name)
    rps[$name]+="$r"$'\n' p50[$name]+="$a"$'\n' p99[$name]+="$b"$'\n' cpu[$name]+="$c"$'\n'
    this[$name]=$r
    echo "round $round $name: $r req/s, p50 $a ms, p99 $b ms, server CPU $c µs/request" >&2
  done
  # The two proxies of one round ran one right after the other: their ratio is
  # the least disturbed by the machine getting faster or slower.
  ratios+=$(awk -v g="${this[gatehouse]}" -v b="${this[bare]}" 'BEGIN { printf "%.1f", 100*g/b }')$'\n'
done

echo "== GET /api/hello, ${secs}s x $rounds rounds (medians), $conns connections, wrk -t1${bare_tls:+, both proxies $bare_tls}"
printf "%-34s %9s %8s %8s %14s\n" "" "req/s" "p50 ms" "p99 ms" "CPU µs/req"
for name in upstream bare gatehouse; do
  case $name in
    upstream) label="upstream alone (plain HTTP)" ;;
    bare) label="bare httputil.ReverseProxy (TLS)" ;;
    gatehouse) label="gatehouse proxy + API key (TLS)" ;;
  esac
  printf "%-34s %9s %8s %8s %14s\n" "$label" "$(median <<<"${rps[$name]}")" "$(median <<<"${p50[$name]}")" \
    "$(median <<<"${p99[$name]}")" "$(median <<<"${cpu[$name]}")"
done
awk -v g="$(median <<<"${rps[gatehouse]}")" -v b="$(median <<<"${rps[bare]}")" \
    -v gc="$(median <<<"${cpu[gatehouse]}")" -v bc="$(median <<<"${cpu[bare]}")" \
  'BEGIN { printf "gatehouse / bare proxy: %.1f%% of the throughput, %.1f%% of the CPU per request (target: throughput at least 85%%)\n", 100*g/b, 100*gc/bc }'
echo "gatehouse / bare proxy, round by round: $(echo $ratios | tr ' ' '\n' | awk '{printf "%s%s%%", (NR > 1 ? ", " : ""), $1}'); median $(median <<<"$ratios")%"
