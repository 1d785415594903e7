#!/bin/sh
# The relay's benchmark alone, side by side with mosquitto (what `make bench`
# prints among the other benchmarks), and with SOAK=1 the long kill -9
# durability test too (100 rounds, 8 senders).
#   BUILD=build sh scripts/bench-relay.sh        SOAK=1 sh scripts/bench-relay.sh
set -eu
BUILD=${BUILD:-build}
export BUILD
make --no-print-directory BUILD="$BUILD" all "$BUILD/tools/loadgen" "$BUILD/tools/relayc" \
	"$BUILD/bench/bench_mosquitto" "$BUILD/bench/bench_relay"
echo "== bench_mosquitto"
"$BUILD/bench/bench_mosquitto"
echo
echo "== bench_relay"
"$BUILD/bench/bench_relay"
if [ -n "${SOAK:-}" ]; then
	echo
	echo "== relay_durability (SOAK=1)"
	SOAK=1 bash tests/e2e/relay_durability.sh
fi
