# Helpers for the sync_*.sh and pair_*.sh end-to-end tests (sourced after
# lib.sh; not a test itself: run.sh only runs *.sh). Each test gets a real
# relay and real daemons on 127.0.0.1, each daemon under its own ATTUNE_HOME
# in $T_DIR, driven with tests/tools/apic (one local-API request per call).

APIC="$BUILD/tools/apic"
# Reconnect quickly in tests: the relay is stopped and started on purpose.
export ATTUNE_BACKOFF_MAX_MS=400

# relay_start [PORT]: starts attune-relay on 127.0.0.1:PORT (0 = any), sets ADDR and RELAY_PID.
# Every daemon and pairing of a test connects from 127.0.0.1 within a second:
# the per-address handshake, register and nameplate limits are raised for that.
# Device-minted invites are on: a partner joins the relay with the inviter's.
relay_start() {
	local port=${1:-0} log="$T_DIR/relay.$RANDOM.log"
	mkdir -p "$T_DIR/relay"
	printf '[limits]\nhandshake_rate = 1000\nhandshake_burst = 1000\nregister_burst = 1000\n[nameplates]\nrate = 100\nburst = 100\nper_address = 100\n[invites]\ndevice_invites = yes\n' \
		>"$T_DIR/relay.conf"
	bg_start "$log" "$BUILD/attune-relay" --listen "127.0.0.1:$port" --data "$T_DIR/relay" \
		--config "$T_DIR/relay.conf"
	RELAY_PID=$BG_PID
	RELAY_LOG=$log
	wait_for_line "$log" '^address: attune://' 10 || return 1
	ADDR=$(grep -m1 -o 'attune://[^ ]*' "$log")
	RELAY_PORT=$(echo "$ADDR" | sed -E 's|attune://127\.0\.0\.1:([0-9]+)/.*|\1|')
}

# relay_closes: how many connections the relay has logged as closed.
relay_closes() {
	grep -c 'event=close ' "$RELAY_LOG"
}

relay_stop() {
	kill "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
}

relay_invite() {
	"$BUILD/attune-relay" invite --data "$T_DIR/relay"
}

# daemon_start NAME: starts attuned with ATTUNE_HOME=$T_DIR/NAME; its pid in PID_NAME.
daemon_start() {
	local n=$1
	mkdir -p "$T_DIR/$n"
	ATTUNE_HOME="$T_DIR/$n" bg_start "$T_DIR/$n.log" "$BUILD/attuned"
	eval "PID_$n=$BG_PID"
	local i=0
	while [ ! -S "$T_DIR/$n/attuned.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$T_DIR/$n/attuned.sock" ]
}

# daemon_kill NAME [SIGNAL]: stops the daemon (default TERM) and waits for it.
daemon_kill() {
	local pid
	eval "pid=\$PID_$1"
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$T_DIR/$1/attuned.sock"
}

# api NAME TYPE [FIELD...]: one local-API request; prints the reply (JSON).
api() {
	local n=$1; shift
	ATTUNE_HOME="$T_DIR/$n" timeout 30 "$APIC" "$@"
}

# init NAME DISPLAY [invite]: init with the relay (and a fresh invite when asked).
init() {
	if [ "${3:-}" = invite ]; then
		api "$1" init name="$2" relay="$ADDR" invite="$(relay_invite)" >/dev/null
	else
		api "$1" init name="$2" relay="$ADDR" >/dev/null
	fi
}

# wait_until SECS CMD...: polls CMD until it succeeds.
wait_until() {
	local secs=$1 i=0; shift
	while [ $i -lt $((secs * 10)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# connected NAME: the daemon says it is connected and registered.
connected() {
	api "$1" status | grep -q '"connected":true'
}

# pair_start KIND INVITER: starts `pair`/`link` on INVITER in the background;
# sets CODE and LINK once the code is printed; the final reply lands in $T_DIR/KIND-INVITER.out.
pair_start() {
	local kind=$1 who=$2 out="$T_DIR/$1-$2.out"
	rm -f "$out"
	ATTUNE_HOME="$T_DIR/$who" timeout 60 "$APIC" -n 1 "$kind" >"$out" 2>&1 &
	PAIR_PID=$!
	wait_for_line "$out" '"code"' 10 || return 1
	CODE=$(grep -m1 -o '"code":"[^"]*"' "$out" | cut -d'"' -f4)
	LINK=$(grep -m1 -o '"link":"[^"]*"' "$out" | cut -d'"' -f4)
}

# pair_wait: waits for the inviting side's final line; prints it.
pair_wait() {
	wait "$PAIR_PID" 2>/dev/null
	wait_for_line "$T_DIR/$1" '"t":"(paired|error)"' 10 >/dev/null 2>&1
	tail -n 1 "$T_DIR/$1"
}

# pair NAME_INVITER NAME_JOINER: pairs two initialised daemons; both must print paired.
pair() {
	pair_start pair "$1" || return 1
	api "$2" -n 1 pair code="$CODE" | tail -n 1 >"$T_DIR/join-$2.out"
	pair_wait "pair-$1.out" | grep -q '"t":"paired"' && grep -q '"t":"paired"' "$T_DIR/join-$2.out"
}

# same_safety INVITER JOINER: both sides of the last pairing show the same safety number.
same_safety() {
	local a b
	a=$(grep -o '"safety":"[^"]*"' "$T_DIR/pair-$1.out")
	b=$(grep -o '"safety":"[^"]*"' "$T_DIR/join-$2.out")
	[ -n "$a" ] && [ "$a" = "$b" ]
}

# has_note NAME TEXT: the daemon's log holds an event with this note.
has_note() {
	api "$1" log | grep -q "\"note\":\"$2\""
}

# notes NAME: the notes in the daemon's log, newest first, one line.
notes() {
	api "$1" log | grep -o '"note":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' '
}

# checkin NAME NOTE [FIELD...]: a check-in with this note; prints its id.
checkin() {
	local n=$1 note=$2; shift 2
	api "$n" checkin mood=3 desire=2 capacity=4 note="$note" "$@"
}
