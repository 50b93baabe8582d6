#!/bin/sh
# Install the Debian packages mcx needs (idempotent). Usage: scripts/deps.sh [build|test|bench]
set -eu
want="build-essential pkg-config libmicrohttpd-dev libxml2-dev libxml2-utils libwbxml2-dev libwbxml2-utils libsqlite3-dev libssl-dev libcurl4-openssl-dev libjansson-dev libargon2-dev libre-dev curl openssl"
case "${1:-build}" in
  test)  want="$want python3 clang libclang-rt-14-dev chromium chromium-driver sip-tester" ;;
  bench) want="$want wrk nginx-light python3" ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
