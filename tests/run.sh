#!/bin/sh
# Test driver. Without arguments: build and run the suites once (normal
# build). With --all: also rebuild under ASan+UBSan and run them again.
# Prints one line per suite and a final "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
all=0
[ "${1:-}" = "--all" ] && all=1
passed=0
failed=0
log=$(mktemp -d /tmp/mcx-test.XXXXXX)
trap 'rm -rf "$log"' EXIT

count() {  # suite-name output-file exit-code
  p=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1 | cut -d' ' -f1)
  f=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1 | cut -d' ' -f3)
  p=${p:-0}; f=${f:-0}
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  echo "== $1: $p passed, $f failed"
  if [ "$f" -ne 0 ]; then grep -E '^(FAIL|not ok)' -A3 "$2" | head -60; fi
}

suite() {  # build-dir bin-dir label
  b=$1; bin=$2; tag=$3
  "$b/test-unit" > "$log/unit$tag" 2>&1; count "unit$tag" "$log/unit$tag" $?
  MCX_BIN=$bin python3 tests/live/run_cases.py tests/cases > "$log/cases$tag" 2>&1
  count "protocol cases$tag" "$log/cases$tag" $?
  MCX_BIN=$bin python3 tests/live/http_edges.py > "$log/edges$tag" 2>&1
  count "http edges$tag" "$log/edges$tag" $?
  MCX_BIN=$bin python3 tests/live/newcomer.py > "$log/newcomer$tag" 2>&1
  count "newcomer walk-through$tag" "$log/newcomer$tag" $?
  MCX_BIN=$bin python3 tests/live/tokens.py > "$log/tokens$tag" 2>&1
  count "access tokens$tag" "$log/tokens$tag" $?
  MCX_BIN=$bin python3 tests/live/mcx_tool.py > "$log/tool$tag" 2>&1
  count "mcx tool$tag" "$log/tool$tag" $?
  MCX_BIN=$bin python3 tests/live/durability.py > "$log/dur$tag" 2>&1
  count "durability$tag" "$log/dur$tag" $?
  MCX_BIN=$bin python3 tests/live/idms_flow.py > "$log/idms$tag" 2>&1
  count "idms code flow$tag" "$log/idms$tag" $?
  MCX_BIN=$bin python3 tests/live/idms_browser.py > "$log/browser$tag" 2>&1
  count "idms login in a browser$tag" "$log/browser$tag" $?
  MCX_BIN=$bin python3 tests/live/sip_subscribe.py > "$log/sip$tag" 2>&1
  count "sip subscribe/notify$tag" "$log/sip$tag" $?
  MCX_BIN=$bin python3 tests/live/dm_client.py > "$log/dmc$tag" 2>&1; count "dm client$tag" "$log/dmc$tag" $?
  MCX_BIN=$bin python3 tests/live/cmc.py > "$log/cmc$tag" 2>&1; count "cmc client$tag" "$log/cmc$tag" $?
  MCX_BIN=$bin python3 tests/live/cmc_dm.py > "$log/cmcdm$tag" 2>&1; count "cmc dm/tls$tag" "$log/cmcdm$tag" $?
  MCX_BIN=$bin python3 tests/live/sip_more.py > "$log/sip2$tag" 2>&1
  count "sip: other writers, window, elements$tag" "$log/sip2$tag" $?
  MCX_BIN=$bin python3 tests/live/sip_restart.py > "$log/siprestart$tag" 2>&1; count "sip: restart, mcx sip$tag" "$log/siprestart$tag" $?
  MCX_BIN=$bin python3 tests/live/dm_server.py > "$log/dmserver$tag" 2>&1; count "dm server: offline, mcxd role, bootstrap, delegation, end to end$tag" "$log/dmserver$tag" $?
}

make -j2 all >"$log/build" 2>&1 || { cat "$log/build"; echo "0 passed, 1 failed"; exit 1; }
suite build bin ""
if [ $all = 1 ]; then
  if make -j2 SAN=1 all >"$log/build-san" 2>&1; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp
    suite build-san build-san/bin " (asan+ubsan)"
  else
    cat "$log/build-san" | tail -30; failed=$((failed + 1))
  fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
