#!/bin/sh
# SIP fan-out benchmark (issue 5): N xcap-diff subscriptions to the demo
# organisation's service configuration, held by bench/sipload over UDP on
# 127.0.0.1; mcxd's RSS before and after they are up gives the memory per
# subscription; then one PUT of the document (curl, run by sipload) and the
# time until the NOTIFY carrying the PUT's new ETag has been received and
# answered for every subscription. A fresh mcxd (release build, bin/mcxd) on a
# temporary data directory for each N.
#
# Usage: sh bench/run-sip.sh [N ...]            (default: 10000 100000)
# Environment:
#   SIPLOAD_SOCKETS=8      UDP sockets of the load tool
#   SIPLOAD_RATE=2000      SUBSCRIBEs per second (0: as fast as the window allows)
#   SIPLOAD_WINDOW=200     most SUBSCRIBEs awaiting their 200 and NOTIFY
#   SIPLOAD_DIFF=          diff-processing asked for (e.g. aggregate; default none)
#   SIPLOAD_UNSUBSCRIBE=1  also time ending every subscription (slow: see docs/benchmarks.md)
#   MCX_BENCH_IDLE=S       also read the RSS after S idle seconds (S > 32: libre's server
#                          transactions of the SUBSCRIBEs are gone) before the PUT
#   MCX_BENCH_HEAP=1       with gdb: glibc's malloc_stats() of mcxd before and after the
#                          subscriptions: live heap per subscription, apart from what
#                          the allocator keeps (RSS counts both)
#   MCX_BENCH_PERF=1       perf record mcxd during each phase; reports in MCX_BENCH_OUT
#   MCX_BENCH_PERF_OPTS    perf record options (default "-F 499 -g"; libre has no frame
#                          pointers: "-F 199 --call-graph dwarf" gives its callers)
#   MCX_BENCH_OUT=DIR      keep logs, sipload output and perf reports there
#   MCXD=PATH              an mcxd binary to measure instead of building bin/mcxd
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- 10000 100000
for n in "$@"; do
  case $n in '' | *[!0-9]*) echo "run-sip.sh: '$n' is not a number of subscribers" >&2; exit 2 ;; esac
done
command -v curl >/dev/null || { echo "run-sip.sh: curl is needed" >&2; exit 2; }

mcxd=${MCXD:-bin/mcxd}
[ -n "${MCXD:-}" ] || make -s -j2 bin/mcxd
mkdir -p build/bench
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o build/bench/sipload bench/sipload.c

work=$(mktemp -d /tmp/mcx-sipbench.XXXXXX)
out=${MCX_BENCH_OUT:-$work}
mkdir -p "$out"
cp "$mcxd" "$work/mcxd"   # a rebuild of bin/mcxd during the run does not touch this one
mpid=""; lpid=""; ppid_rec=""
stop_pid() {  # pid signal: end one process we started, wait for it
  [ -n "$1" ] && kill "-$2" "$1" 2>/dev/null && wait "$1" 2>/dev/null || true
}
cleanup() {
  stop_pid "$lpid" TERM; stop_pid "$ppid_rec" INT; stop_pid "$mpid" TERM
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() {  # a port free for UDP and TCP on 127.0.0.1
  python3 -c '
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]; t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()'
}
field() {  # key line: the value of key=value in line
  echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
heap_in_use() {  # pid log: bytes glibc's malloc has handed out and not got back
  [ "${MCX_BENCH_HEAP:-0}" = 1 ] && command -v gdb >/dev/null || return 0
  gdb -p "$1" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1 || return 0
  sleep 0.2
  awk '/^Total/ {t = 1} t && /in use bytes/ {v = $NF; t = 0} END {print v}' "$2"
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
drops() {  # datagrams the kernel dropped at mcxd's SIP socket (receive buffer full)
  awk -v p="$(printf ':%04X' "$2")" '$2 ~ p"$" {print $NF}' "/proc/$1/net/udp" | head -1
}
perf_start() {  # file: record mcxd's stacks until perf_stop
  ppid_rec=""
  [ "${MCX_BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null || return 0
  perf record -q ${MCX_BENCH_PERF_OPTS:--F 499 -g} -p "$mpid" -o "$1" >/dev/null 2>&1 &
  ppid_rec=$!
  sleep 0.3
}
perf_stop() {  # file label
  [ -n "$ppid_rec" ] || return 0
  stop_pid "$ppid_rec" INT; ppid_rec=""
  perf report -i "$1" --stdio --no-children --sort dso,symbol --percent-limit 1 2>/dev/null |
    grep -E '^ +[0-9.]+%' > "$1.txt" || true
  echo "  perf, mcxd, $2 (self time, top 12; full report $1.txt):"
  head -12 "$1.txt" | sed 's/^/    /'
}

SC=org.3gpp.mcptt.service-config/global/service-config.xml
AS="X-3GPP-Asserted-Identity: sip:admin@example.org"
rate=${SIPLOAD_RATE:-2000}
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
  "$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
[ -n "$(git status --porcelain -- src 2>/dev/null)" ] && rev="$rev + uncommitted src/ changes"
echo "mcxd: $mcxd ($rev)"
echo "load: sipload -k ${SIPLOAD_SOCKETS:-8} -r $rate -w ${SIPLOAD_WINDOW:-200}" \
  "${SIPLOAD_DIFF:+--diff $SIPLOAD_DIFF}; mcxd --log-level warn, SIP over UDP"
rows=""
for n in "$@"; do
  hport=$(free_port); sport=$(free_port)
  data="$work/data-$n"
  "$work/mcxd" --data-dir "$data" --http-port "$hport" --demo yes --access-log off \
    --trusted-proxies 127.0.0.1 --log-level warn \
    --sip yes --sip-listen "127.0.0.1:$sport" --sip-transports udp \
    --sip-trusted-proxies 127.0.0.1 --sip-max-subscriptions $((n + 1000)) \
    >/dev/null 2>"$out/mcxd-$n.log" &
  mpid=$!
  url="http://127.0.0.1:$hport/xcap-root/$SC"
  for i in $(seq 1 100); do
    curl -s -f -H "$AS" -o "$work/sc.xml" "$url" && break
    kill -0 "$mpid" 2>/dev/null || { echo "mcxd did not start:" >&2; cat "$out/mcxd-$n.log" >&2; exit 1; }
    sleep 0.1
  done
  # the change: one value of the service configuration, a new ETag
  sed 's|<min-length-alias>3</min-length-alias>|<min-length-alias>4</min-length-alias>|' \
    "$work/sc.xml" > "$work/sc2.xml"
  cmp -s "$work/sc.xml" "$work/sc2.xml" && { echo "run-sip.sh: the document did not change" >&2; exit 1; }
  put="curl -s -S --max-time 60 -o /dev/null -w '%{http_code} %header{etag}' -X PUT -H '$AS'"
  put="$put -H 'Content-Type: application/vnd.3gpp.mcptt-service-config+xml'"
  put="$put --data-binary @$work/sc2.xml '$url'"
  sleep 0.5
  rss0=$(rss_kib "$mpid"); heap0=$(heap_in_use "$mpid" "$out/mcxd-$n.log")
  rm -f "$work/ready" "$work/go"
  perf_start "$out/perf-subscribe-$n.data"
  build/bench/sipload --server "127.0.0.1:$sport" -n "$n" -k "${SIPLOAD_SOCKETS:-8}" -r "$rate" \
    -w "${SIPLOAD_WINDOW:-200}" ${SIPLOAD_DIFF:+--diff "$SIPLOAD_DIFF"} \
    --timeout $((120 + n / 1000 > 3600 ? 3600 : 120 + n / 1000)) ${SIPLOAD_UNSUBSCRIBE:+--unsubscribe} --ready-file "$work/ready" --go-file "$work/go" \
    --put "$put" > "$out/sipload-$n.out" 2> "$out/sipload-$n.err" &
  lpid=$!
  while [ ! -f "$work/ready" ] && kill -0 "$lpid" 2>/dev/null; do sleep 0.2; done
  echo "N=$n"
  perf_stop "$out/perf-subscribe-$n.data" "subscribing"
  sleep 1   # let the last answers settle before reading the RSS
  rss1=$(rss_kib "$mpid"); d1=$(drops "$mpid" "$sport")
  idle=""
  if [ -n "${MCX_BENCH_IDLE:-}" ]; then
    sleep "$MCX_BENCH_IDLE"
    idle=$(rss_kib "$mpid")
    echo "  RSS after ${MCX_BENCH_IDLE} s idle: $idle KiB ($(awk -v a="$rss0" -v b="$idle" -v n="$n" \
      'BEGIN {printf "%.0f", (b - a) * 1024 / n}') B per subscription)"
  fi
  heap1=$(heap_in_use "$mpid" "$out/mcxd-$n.log")
  [ -n "$heap1" ] && echo "  malloc in use: $heap0 -> $heap1 bytes ($(awk -v a="$heap0" -v b="$heap1" \
    -v n="$n" 'BEGIN {printf "%.0f", (b - a) / n}') B per subscription); RSS $(rss_kib "$mpid") KiB"
  perf_start "$out/perf-fanout-$n.data"
  touch "$work/go"
  rc=0; wait "$lpid" || rc=$?; lpid=""
  perf_stop "$out/perf-fanout-$n.data" "fan-out"
  rss2=$(rss_kib "$mpid"); d2=$(drops "$mpid" "$sport")
  kill -TERM "$mpid"; mrc=0; wait "$mpid" || mrc=$?; mpid=""
  [ "$mrc" = 0 ] || echo "  mcxd exited $mrc on SIGTERM (want 0)"
  sed 's/^/  /' "$out/sipload-$n.out"
  grep -v '^ready$' "$out/sipload-$n.err" | sed 's/^/  /' || true
  ended=$(grep -c 'the subscription ends' "$out/mcxd-$n.log" || true)
  [ "$ended" -gt 0 ] && echo "  mcxd ended $ended subscriptions itself (NOTIFY not answered in time: our 200s dropped)"
  late=$(grep -c '^unhandeled response' "$out/mcxd-$n.log" || true)
  [ "$late" -gt 0 ] && echo "  libre saw $late responses after their transaction had ended (its stderr)"
  w=$(grep -v 'the subscription ends\|^unhandeled response' "$out/mcxd-$n.log" | grep -c ' warn \| err ' || true)
  [ "$w" -gt 0 ] && { echo "  mcxd logged $w other warnings, first:"
    grep -v 'the subscription ends' "$out/mcxd-$n.log" | grep ' warn \| err ' | head -3 | sed 's/^/    /'; }
  echo "  sipload exit $rc; mcxd RSS ${rss0} KiB -> ${rss1} KiB subscribed -> ${rss2} KiB after the fan-out;" \
    "mcxd SIP socket drops: $d1 while subscribing, $((d2 - d1)) in the fan-out"
  s=$(grep '^subscribe:' "$out/sipload-$n.out" || true)
  f=$(grep '^fanout:' "$out/sipload-$n.out" || true)
  ok=$(field ok "$s")
  per=$(awk -v a="$rss0" -v b="$rss1" -v n="${ok:-0}" 'BEGIN {if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "-"}')
  rows="$rows$(printf '| %s | %s s (%s/s) | %s | %s → %s MiB | %s B | %s s | %s s | %s s | %s | %s s | %s | %s | %s |' \
    "$n" "$(field seconds "$s")" "$(field rate "$s")" "$(field failed "$s")" \
    "$((rss0 / 1024))" "$((rss1 / 1024))" "$per" "$(field put_seconds "$f")" "$(field first "$f")" \
    "$(field seconds "$f")" "$(field notifies_per_s "$f")" "$(field last_answer "$f")" \
    "$(field retransmissions "$f")" "$(field missing "$f")" "$ended")
"
done
echo
echo "| N | subscribing | failed | mcxd RSS | per subscription | PUT | first NOTIFY | last NOTIFY | NOTIFYs/s | last 200 (after retransmissions) | NOTIFY retransmissions | missed | ended by mcxd |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s' "$rows"
[ -n "${MCX_BENCH_OUT:-}" ] && echo "logs in $out"
exit 0
