# Helpers for the cli_*.sh end-to-end tests (sourced after lib.sh; not a test
# itself: run.sh only runs *.sh). They drive the real attune binary as one or
# more people, each with their own ATTUNE_HOME in $T_DIR.

ATTUNE="$BUILD/attune"
unset XDG_RUNTIME_DIR

# as WHO ARGS...: attune as WHO; stdout in $OUT, stderr in $ERR, status in $RC.
as() {
	local who=$1; shift
	OUT=$(ATTUNE_HOME="$T_DIR/$who" "$ATTUNE" "$@" 2>"$T_DIR/err") && RC=0 || RC=$?
	ERR=$(cat "$T_DIR/err")
}
# has TEXT REGEX: TEXT has a line matching REGEX (shows TEXT if not).
has() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then return 0; fi
	printf '%s\n' "$1" | head -8 | sed 's/^/#   got: /' >&2
	return 1
}
# lacks TEXT REGEX: no line of TEXT matches REGEX (shows the ones that do).
lacks() {
	if ! printf '%s\n' "$1" | grep -Eq -- "$2"; then return 0; fi
	printf '%s\n' "$1" | grep -E -- "$2" | head -3 | sed 's/^/#   unexpected: /' >&2
	return 1
}
# json TEXT PYEXPR: TEXT parses as one JSON document and PYEXPR (over d) is true.
json() {
	printf '%s' "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" 2>/dev/null && return 0
	printf '%s\n' "$1" | head -3 | cut -c1-300 | sed 's/^/#   got: /' >&2
	return 1
}
# until_has WHO REGEX ARGS...: repeats `attune ARGS` as WHO until stdout matches (10 s).
until_has() {
	local who=$1 re=$2 i=0; shift 2
	while [ $i -lt 100 ]; do
		as "$who" "$@"
		printf '%s\n' "$OUT" | grep -Eq -- "$re" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	printf '%s\n' "$OUT" | head -5 | sed 's/^/#   last: /' >&2
	return 1
}

# cli_relay_start: a relay on 127.0.0.1 (any port) with its data in $T_DIR/relay;
# sets RELAY (its address) and INVITE (an invite for 3 devices). Fails if the
# relay does not print its address within 10 s.
cli_relay_start() {
	local rc
	mkdir -p "$T_DIR/relay"
	# Every device connects from 127.0.0.1: the per-address nameplate cap is raised.
	# Device invites are on: a linked device joins the relay with its first device's.
	printf '[nameplates]\nper_address = 100\n[invites]\ndevice_invites = yes\n' >"$T_DIR/relay.conf"
	bg_start "$T_DIR/relay.log" "$BUILD/attune-relay" --listen 127.0.0.1:0 --data "$T_DIR/relay" \
		--config "$T_DIR/relay.conf"
	wait_for_line "$T_DIR/relay.log" '^address: attune://'
	rc=$?
	RELAY=$(sed -n 's/^address: //p' "$T_DIR/relay.log" | head -1)
	INVITE=$("$BUILD/attune-relay" invite --data "$T_DIR/relay" --uses 3)
	return $rc
}
# cli_daemon_start WHO: attuned with ATTUNE_HOME=$T_DIR/WHO; its pid in $BG_PID.
cli_daemon_start() {
	mkdir -p -m 700 "$T_DIR/$1"
	ATTUNE_HOME="$T_DIR/$1" bg_start "$T_DIR/$1.log" "$BUILD/attuned"
	wait_for_line "$T_DIR/$1.log" 'listening on' || echo "# $1 did not start" >&2
}

# invite_start WHO CMD: `attune CMD --json` as WHO in the background (CMD is
# pair or link); sets CODE, INV_PID, and INV_OUT/INV_ERR (fresh files each time).
NINV=0
invite_start() {
	NINV=$((NINV + 1))
	INV_OUT="$T_DIR/inv$NINV.$1.out"
	INV_ERR="$T_DIR/inv$NINV.$1.err"
	ATTUNE_HOME="$T_DIR/$1" "$ATTUNE" "$2" --json >"$INV_OUT" 2>"$INV_ERR" &
	INV_PID=$!
	T_PIDS="$T_PIDS $INV_PID"
	wait_for_line "$INV_OUT" '"code"' || return 1
	CODE=$(head -1 "$INV_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
}
# invite_wait: the inviting side's exit status (killed after 15 s: status 124).
invite_wait() {
	local i=0
	while kill -0 "$INV_PID" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 150 ]; then
			kill "$INV_PID" 2>/dev/null
			wait "$INV_PID" 2>/dev/null
			echo "# the inviting side did not finish" >&2
			return 124
		fi
		sleep 0.1
	done
	wait "$INV_PID"
}
