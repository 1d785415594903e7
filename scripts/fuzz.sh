#!/bin/sh
# Fuzz smoke: runs each libFuzzer target for FUZZ_SECONDS, starting from its
# corpus (new inputs go to a scratch folder, not into the source tree).
set -eu
BUILD=${BUILD:-build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
status=0
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f"); name=${name#fuzz_}
	scratch="$BUILD/scratch/$name"
	mkdir -p "$scratch" "fuzz/corpus/$name"
	echo "fuzz: $name for ${FUZZ_SECONDS}s"
	if ! "$f" -max_total_time="$FUZZ_SECONDS" -max_len=70000 -rss_limit_mb=2048 \
	    -artifact_prefix="$BUILD/" -print_final_stats=0 "$scratch" "fuzz/corpus/$name" \
	    >"$BUILD/$name.log" 2>&1; then
		echo "fuzz: $name FOUND A CRASH — see $BUILD/$name.log"
		tail -n 30 "$BUILD/$name.log"
		status=1
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$BUILD/$name.log" | tail -n 1 || :
	fi
done
exit $status
