# Helpers for the relay's end-to-end tests (sourced after lib.sh). Not a test itself.
RELAY=$BUILD/attune-relay
RELAYC=$BUILD/tools/relayc

# relay_start NAME [CONFIG-TEXT]: starts a relay on a free port with data in
# $T_DIR/NAME; sets ADDR, RELAY_PID, RELAY_LOG, RELAY_DATA.
relay_start() {
	local name=$1 cfg=${2:-}
	RELAY_DATA=$T_DIR/$name
	RELAY_LOG=$T_DIR/$name.log
	mkdir -p "$RELAY_DATA"
	if [ -n "$cfg" ]; then
		printf '%s\n' "$cfg" >"$T_DIR/$name.ini"
		bg_start "$RELAY_LOG" "$RELAY" --listen 127.0.0.1:0 --data "$RELAY_DATA" --config "$T_DIR/$name.ini"
	else
		bg_start "$RELAY_LOG" "$RELAY" --listen 127.0.0.1:0 --data "$RELAY_DATA"
	fi
	RELAY_PID=$BG_PID
	wait_for_line "$RELAY_LOG" '^address: attune://' 10 || return 1
	ADDR=$(sed -n 's/^address: //p' "$RELAY_LOG" | head -1)
}

# rc KEYNAME COMMAND...: relayc with the device key $T_DIR/KEYNAME.key.
rc() {
	local k=$1; shift
	"$RELAYC" --timeout 5 --key "$T_DIR/$k.key" "$ADDR" "$@"
}

pubkey() {
	"$RELAYC" --key "$T_DIR/$1.key" pubkey
}

invite() {
	"$RELAY" invite --data "$RELAY_DATA" "$@"
}

# has OUTPUT REGEX: the output has a line matching REGEX (prints the output if not).
has() {
	if printf '%s\n' "$1" | grep -Eq "$2"; then return 0; fi
	printf '%s\n' "$1" | head -5 | sed 's/^/#   got: /' >&2
	return 1
}

relay_alive() {
	kill -0 "$RELAY_PID" 2>/dev/null
}
