#!/bin/sh
# Benchmark mcxd against nginx serving the same ~20 KB document as a static
# file, in the same run, with wrk on 127.0.0.1. Prints req/s, p50 and p99 for
# GET document, GET element by selector and PUT document (schema validation
# + durable commit), and the ratio of mcxd's GET document rate to nginx's.
# Usage: sh bench/run.sh [seconds] [connections]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
sh scripts/deps.sh bench
make -s -j2 bin/mcxd bin/mcx
work=$(mktemp -d /tmp/mcx-bench.XXXXXX)
mport=18481; nport=18482
cleanup() {
  [ -n "${mpid:-}" ] && kill "$mpid" 2>/dev/null; wait "${mpid:-}" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
python3 bench/gen_doc.py "$work/doc.xml"
bytes=$(wc -c < "$work/doc.xml")

bin/mcxd --data-dir "$work/data" --http-port $mport --demo yes --access-log off \
  --trusted-proxies 127.0.0.1 --log-level warn --http-threads ${MCX_BENCH_THREADS:-2} >/dev/null &
mpid=$!
mkdir -p "$work/www/xcap-root/resource-lists/users/sip:bench@example.org"
cp "$work/doc.xml" "$work/www/xcap-root/resource-lists/users/sip:bench@example.org/index"
cat > "$work/nginx.conf" <<NGX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/resource-lists+xml;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:$nport; root $work/www; etag on; }
}
NGX
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf"
for i in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$mport/" && break; sleep 0.1; done
AS="X-3GPP-Asserted-Identity: sip:admin@example.org"
DOC="/xcap-root/resource-lists/users/sip:bench@example.org/index"
curl -s -f -o /dev/null -X PUT -H "$AS" -H "Content-Type: application/resource-lists+xml" \
  --data-binary @"$work/doc.xml" "http://127.0.0.1:$mport$DOC"
SEL="$DOC/~~/resource-lists/list%5B@name=%22group-7%22%5D/entry%5B3%5D"
curl -s -f -o /dev/null -H "$AS" "http://127.0.0.1:$mport$SEL"

run() {  # label url [extra wrk options] [-- script args]
  label=$1; url=$2; shift 2
  opts=""; while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts="$opts $1"; shift; done
  out=$(eval wrk -t2 -c"$conns" -d"${secs}s" --latency $opts '"$url"' '"$@"')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-34s %12s %10s %10s %s\n' "$label" "$rps" "$p50" "$p99" "${errs:+non-2xx=$errs}"
}
echo "document: $bytes bytes; wrk -t2 -c$conns -d${secs}s on $(nproc) cores"
printf '%-34s %12s %10s %10s\n' "" "req/s" "p50" "p99"
nginx_rps=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$nport$DOC" | tee "$work/n.out" | awk '/Requests\/sec/ {print $2}')
printf '%-34s %12s %10s %10s\n' "nginx GET document (static file)" "$nginx_rps" \
  "$(awk '$1=="50%" {print $2}' "$work/n.out")" "$(awk '$1=="99%" {print $2}' "$work/n.out")"
mcx_rps=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -H "$AS" "http://127.0.0.1:$mport$DOC" | tee "$work/m.out" | awk '/Requests\/sec/ {print $2}')
printf '%-34s %12s %10s %10s\n' "mcxd GET document" "$mcx_rps" \
  "$(awk '$1=="50%" {print $2}' "$work/m.out")" "$(awk '$1=="99%" {print $2}' "$work/m.out")"
run "mcxd GET element by selector" "http://127.0.0.1:$mport$SEL" -H "'$AS'"
run "mcxd PUT document (validate+fsync)" "http://127.0.0.1:$mport/" -s bench/put.lua -- "$work/doc.xml"
echo "ratio mcxd/nginx GET document: $(echo "$mcx_rps $nginx_rps" | awk '{printf "%.2f", $1/$2}') (goal >= 0.5)"
