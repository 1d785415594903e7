# Shared by the end-to-end scripts (bash). Each script sources this, runs
# real binaries from $BUILD on 127.0.0.1 in a private folder, and reports TAP.
# Processes started with `bg_start` are killed and the folder removed on exit.
set -u
BUILD=${BUILD:-$(pwd)/build}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
T_NAME=$(basename "$0" .sh)
T_DIR="$BUILD/tmp/e2e-$T_NAME.$$"
rm -rf "$T_DIR" && mkdir -p "$T_DIR"
T_N=0
T_FAILED=0
T_PIDS=""

# ok COND-STATUS NAME: "ok N - NAME" when the status is 0.
ok() {
	local status=$1; shift
	T_N=$((T_N + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $T_N - $*"
	else
		echo "not ok $T_N - $*"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# check NAME CMD...: runs CMD, reports its status as one test.
check() {
	local name=$1; shift
	"$@"
	ok $? "$name"
}

skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

# bg_start LOGFILE CMD...: starts CMD in the background, remembers its pid in $BG_PID.
bg_start() {
	local log=$1; shift
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	T_PIDS="$T_PIDS $BG_PID"
}

# wait_for_line FILE REGEX [SECONDS]: waits until FILE has a line matching REGEX.
wait_for_line() {
	local file=$1 re=$2 secs=${3:-10} i=0
	while [ $i -lt $((secs * 20)) ]; do
		grep -Eq "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "# timed out waiting for /$re/ in $file" >&2
	return 1
}

t_cleanup() {
	local p
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.1
	for p in $T_PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ "$T_FAILED" -eq 0 ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$T_DIR"
	echo "1..$T_N"
}
trap t_cleanup EXIT

# done_testing: exit status says whether every test passed.
done_testing() {
	[ "$T_FAILED" -eq 0 ]
	exit $?
}
