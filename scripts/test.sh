#!/bin/sh
# Set up and run the whole test suite: unit tests, protocol cases and the
# durability test against a live mcxd on 127.0.0.1, then everything again
# under ASan+UBSan. Ends with one "N passed, N failed" line.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh test
exec sh tests/run.sh --all
