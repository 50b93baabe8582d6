#!/bin/sh
# Set up and run mcxd on the embedded default: SQLite data under ./var, the
# demo organisation seeded, a self-signed TLS pair generated, URLs printed.
# Extra arguments go to mcxd (e.g. --http-port 9090).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh build
make -j2 bin/mcxd bin/mcx
mkdir -p var
if [ ! -f var/tls.key ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout var/tls.key -out var/tls.crt 2>/dev/null
  echo "generated a self-signed certificate: var/tls.crt (use curl -k or --cacert var/tls.crt)"
fi
tls=""
if [ "${MCX_TLS:-0}" = 1 ]; then tls="--tls-cert var/tls.crt --tls-key var/tls.key"; fi
echo "starting mcxd (Ctrl-C to stop; MCX_TLS=1 for HTTPS with var/tls.crt)"
exec bin/mcxd --data-dir ./var --demo yes --idms yes --sip yes --access-log var/access.log \
  --idms-audit-log var/audit.log $tls "$@"
