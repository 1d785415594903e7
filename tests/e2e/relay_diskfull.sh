#!/bin/bash
# attune-relay on a full disk: its data folder on a small tmpfs (size=2m).
# Puts past the space get a clear `storage` error, the relay stays up and
# keeps answering, and every put it acknowledged is delivered, also after a
# kill -9 and a restart on the still-full disk. Needs root for the mount;
# otherwise the whole suite is one TAP skip with the reason.
. tests/e2e/lib.sh
if [ "${RELAY_BACKEND:-sqlite}" = postgresql ]; then
	skip "relay on a full disk" "the data lives in PostgreSQL (its outage: relay_nodes.sh)"
	done_testing
fi
. tests/e2e/relay_common.inc
LOADGEN=$BUILD/tools/loadgen
MNT=$T_DIR/mnt
mkdir -p "$MNT"

why=""
if [ "$(id -u)" -ne 0 ]; then
	why="not root: cannot mount a small file system"
elif ! mount -t tmpfs -o size=2m,mode=0700 attune-diskfull "$MNT" 2>"$T_DIR/mount.err"; then
	why="cannot mount a tmpfs here: $(head -1 "$T_DIR/mount.err")"
fi
if [ -n "$why" ]; then
	skip "relay on a full disk" "$why"
	done_testing
fi

# Processes first (they hold files on the mount), then the mount, then lib.sh's cleanup.
df_cleanup() {
	local p
	for p in $T_PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	t_cleanup
}
trap df_cleanup EXIT

CFG='[limits]
connections_per_address = 1000
handshake_rate = 100000
handshake_burst = 100000
put_rate = 10000000
put_burst = 10000000
register_burst = 100000
[storage]
mailbox_envelopes = 10000000
mailbox_bytes = 4G'
printf '%s\n' "$CFG" >"$T_DIR/full.ini"
RELAY_DATA=$MNT/data
RELAY_LOG=$T_DIR/full.log
mkdir -p "$RELAY_DATA"
bg_start "$RELAY_LOG" "$RELAY" --listen 127.0.0.1:0 --data "$RELAY_DATA" --config "$T_DIR/full.ini"
RELAY_PID=$BG_PID
wait_for_line "$RELAY_LOG" '^address: attune://' 10
ok $? "relay starts on a 2 MiB tmpfs"
ADDR=$(sed -n 's/^address: //p' "$RELAY_LOG" | head -1)
TOK=$(invite --uses 100)
"$LOADGEN" --invite "$TOK" --pairs 4 "$ADDR" register >"$T_DIR/register.out" 2>&1
check "load devices registered" grep -q '^registered=8$' "$T_DIR/register.out"

# 4 x 3000 envelopes of 256 bytes: about 3 MiB, more than the disk holds.
"$LOADGEN" --pairs 4 --count 3000 --print "$ADDR" put >"$T_DIR/acked" 2>"$T_DIR/put.err"
check "the load ran to its end (no connection dropped)" test $? -eq 0
acked=$(sort -u "$T_DIR/acked" | wc -l)
check "some puts acknowledged before the disk filled ($acked)" test "$acked" -gt 100
check "puts past the space acknowledged no more ($acked of 12000)" test "$acked" -lt 12000
check "puts on a full disk answered with error code=storage" grep -q 'error code=storage' "$T_DIR/put.err"
grep -q 'reason=storage' "$RELAY_LOG"; ok $? "the storage error is logged with its reason"
check "relay still running on a full disk" relay_alive
out=$(rc x ping)
check "relay still answers on a full disk" has "$out" '^pong$'
out=$(rc x "register $TOK" 2>&1)
check "a write on a full disk gets a clear error, not a hang" has "$out" '^(ok|error code=storage)'

# Nothing acknowledged is lost: kill -9 on the full disk, restart, drain.
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
RELAY_LOG=$T_DIR/full.2.log
bg_start "$RELAY_LOG" "$RELAY" --listen 127.0.0.1:0 --data "$RELAY_DATA" --config "$T_DIR/full.ini"
RELAY_PID=$BG_PID
wait_for_line "$RELAY_LOG" '^address: attune://' 10
ok $? "relay restarts after kill -9 on the full disk"
ADDR=$(sed -n 's/^address: //p' "$RELAY_LOG" | head -1)
"$LOADGEN" --pairs 4 --idle 500 "$ADDR" drain >"$T_DIR/got" 2>"$T_DIR/drain.err"
lost=$(comm -23 <(sort -u "$T_DIR/acked") <(sort -u "$T_DIR/got") | wc -l)
check "every acknowledged put delivered after the restart ($lost of $acked lost)" test "$lost" -eq 0
check "relay still running after the drain" relay_alive
kill -TERM "$RELAY_PID"
wait "$RELAY_PID"
check "relay stops cleanly on SIGTERM on the full disk" test $? -eq 0
check "no sanitizer report from the relay or the load generator" \
	bash -c "! cat '$T_DIR'/*.log '$T_DIR'/*.err | grep -q 'Sanitizer\|runtime error'"
done_testing
