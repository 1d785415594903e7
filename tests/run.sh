#!/bin/sh
# Runs every suite — cmocka unit tests, fuzz corpus replays, end-to-end
# scripts — and ends with one line: "N passed, N failed[, N skipped]".
# Every suite speaks TAP ("ok N - name" / "not ok N - name", "# SKIP").
# A suite that exits non-zero without reporting a failure counts as one.
# ONLY=PATTERN runs the suites whose name contains PATTERN.
set -u
BUILD=${BUILD:-build}
VECTORS=${VECTORS:-tests/vectors}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
case "$VECTORS" in /*) ;; *) VECTORS="$(pwd)/$VECTORS" ;; esac
export BUILD VECTORS
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
LOGS="$BUILD/test-logs"
mkdir -p "$LOGS"
SUITE_TIMEOUT=${SUITE_TIMEOUT:-300}
pass=0 fail=0 skip=0 failed_suites=""

# run_suite NAME CMD...: runs one suite, tallies its TAP lines.
run_suite() {
	name=$1; shift
	case "$name" in *"${ONLY:-}"*) ;; *) return 0 ;; esac
	log="$LOGS/$name.log"
	t0=$(date +%s)
	timeout -k 10 "$SUITE_TIMEOUT" "$@" >"$log" 2>&1
	rc=$?
	p=$(grep -Ec '^ok [0-9]+' "$log" | head -1)
	s=$(grep -Eci '^ok [0-9]+.*# *skip' "$log" | head -1)
	f=$(grep -Ec '^not ok [0-9]+' "$log" | head -1)
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	dt=$(( $(date +%s) - t0 ))
	if [ "$f" -gt 0 ]; then
		printf '  FAIL  %-28s %3d passed, %d failed (%ss) — %s\n' "$name" "$p" "$f" "$dt" "$log"
		grep -E '^not ok' "$log" | head -20 | sed 's/^/        /'
		tail -n 15 "$log" | sed 's/^/      | /'
		failed_suites="$failed_suites $name"
	else
		printf '  ok    %-28s %3d passed%s (%ss)\n' "$name" "$p" "$( [ "$s" -gt 0 ] && echo ", $s skipped")" "$dt"
	fi
}

echo "unit tests:"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done

echo "fuzz corpus replays:"
for r in "$BUILD"/replay/fuzz_*; do
	[ -x "$r" ] || continue
	n=$(basename "$r"); n=${n#fuzz_}
	run_suite "replay_$n" "$r" "fuzz/corpus/$n"
done

echo "end-to-end tests:"
for e in tests/e2e/*.sh; do
	[ -f "$e" ] || continue
	case "$(basename "$e")" in lib.sh) continue ;; esac
	run_suite "$(basename "$e" .sh)" bash "$e"
done

echo "app tests (attune-gtk through AT-SPI):"
for g in tests/gtk/*.sh; do
	[ -f "$g" ] || continue
	run_suite "gtk_$(basename "$g" .sh)" bash "$g"
done

summary="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && summary="$summary, $skip skipped"
echo "$summary" >"${SUMMARY_FILE:-$BUILD/check-summary.txt}"
[ -n "$failed_suites" ] && echo "failed suites:$failed_suites"
echo "$summary"
[ "$fail" -eq 0 ]
