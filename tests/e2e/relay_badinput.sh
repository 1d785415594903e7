#!/bin/bash
# attune-relay against hostile input: each case of issue 4's "Bad input" list.
# The relay must refuse with one log line per rejection and keep serving a
# well-behaved client (which connects from 127.0.0.2, a different source
# address than the attacks, as it would in real life).
. tests/e2e/lib.sh
. tests/e2e/relay_common.inc

relay_start r '[limits]
handshake_timeout = 1s
connections_per_address = 40
handshake_rate = 200
handshake_burst = 200
[nameplates]
rate = 1
burst = 5'
A=$(pubkey a); B=$(pubkey b)
TOK=$(invite --uses 5)
rc a "register $TOK" >/dev/null
rc b "register $TOK" >/dev/null

# good: the well-behaved client, from another source address.
good() {
	"$RELAYC" --timeout 5 --source 127.0.0.2 --key "$T_DIR/a.key" "$ADDR" ping "put $B still-serving" 2>&1
}
good_ok() {
	local out; out=$(good)
	has "$out" '^pong$' && has "$out" '^ok$'
}
rejects() {   # rejects REASON: how many reject lines with that reason
	grep -c "event=reject reason=$1 " "$RELAY_LOG"
}
R=$(printf '%s' "$ADDR" | sed 's/^attune:\/\///')

# Before the handshake.
out=$("$RELAYC" --timeout 5 --pre "$(head -c 200 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^..../0060/')" "$ADDR")
check "garbage handshake message: connection closed" test "$out" = closed
check "garbage handshake logged" test "$(rejects handshake-failed)" -ge 1
out=$("$RELAYC" --timeout 5 --pre ffff00 "$ADDR")
check "oversized length before the handshake: closed" test "$out" = closed
check "oversized length logged as frame-too-big" test "$(rejects frame-too-big)" -ge 1
out=$("$RELAYC" --timeout 5 --pre 0060aabbcc "$ADDR")
check "truncated handshake frame: closed by the handshake timeout" test "$out" = closed
check "handshake timeout logged" test "$(rejects handshake-timeout)" -ge 1
WRONG="attune://$(printf '%s' "$R" | cut -d/ -f1)/$("$RELAYC" --key "$T_DIR/wrong.key" pubkey)"
out=$("$RELAYC" --timeout 5 --key "$T_DIR/a.key" "$WRONG" ping)
check "handshake to the wrong relay key fails" test "$out" = handshake-failed
check "good client still served" good_ok

# A replayed handshake message 1: answered, but nothing more works, and the
# device's real connection is not disturbed.
"$RELAYC" --timeout 5 --key "$T_DIR/a.key" --save-hs1 "$T_DIR/hs1" "$ADDR" ping >/dev/null
mkfifo "$T_DIR/a.in"
"$RELAYC" --timeout 5 --key "$T_DIR/a.key" "$ADDR" <"$T_DIR/a.in" >"$T_DIR/a.out" 2>&1 &
T_PIDS="$T_PIDS $!"
exec 3>"$T_DIR/a.in"
echo ping >&3
wait_for_line "$T_DIR/a.out" '^pong$' 5
out=$("$RELAYC" --timeout 5 --replay "$T_DIR/hs1" "$ADDR")
echo "put $B after-replay" >&3
wait_for_line "$T_DIR/a.out" '^ok$' 5; ok $? "replayed handshake does not disturb the device's live connection"
exec 3>&-
check "replayed handshake: relay answers message 1" has "$out" '^replay answered=1$'
check "replayed handshake: the replayer's next frame closes the connection" has "$out" '^closed$'
check "replay logged as decrypt-failed" test "$(rejects decrypt-failed)" -ge 1

# After the handshake.
out=$(rc a "rawframe $(head -c 40 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^..../0026/')" "expect_close 3")
check "garbage after the handshake: closed" has "$out" '^closed$'
rc a "rawframe 0100aabbcc" >/dev/null
sleep 0.3
check "truncated frame at end of stream logged" test "$(rejects truncated)" -ge 1
# msgpack bombs inside valid encrypted frames: typed errors, connection stays up.
DEEP="83a174a470696e67a2696401a178$(printf '91%.0s' $(seq 100))c0"
ARR="83a174a470696e67a2696402a178ddffffffff"
STR="83a174a470696e67a2696403a178dbffffffff"
MAP="83a174a470696e67a2696404a178dfffffffff"
UNK="82a174a4626f6f6da2696405"
NOTMAP="92a174a470696e67"
out=$(rc a "raw $DEEP" "raw $ARR" "raw $STR" "raw $MAP" "raw $UNK" "raw $NOTMAP" ping)
check "deep nesting: error" has "$(printf '%s\n' "$out" | sed -n 1p)" '^error code='
check "huge array header: error" has "$(printf '%s\n' "$out" | sed -n 2p)" '^error code='
check "huge string header: error" has "$(printf '%s\n' "$out" | sed -n 3p)" '^error code='
check "huge map header: error" has "$(printf '%s\n' "$out" | sed -n 4p)" '^error code='
check "unknown type: unknown-type" has "$(printf '%s\n' "$out" | sed -n 5p)" '^error code=unknown-type'
check "not a map: error" has "$(printf '%s\n' "$out" | sed -n 6p)" '^error code='
check "connection still serves after the bombs" has "$(printf '%s\n' "$out" | sed -n 7p)" '^pong$'
check "bombs logged" test "$(rejects bad-message)" -ge 5
check "unknown type logged" test "$(rejects unknown-type)" -ge 1
# Random plaintexts in valid frames (kept in $T_DIR/random.txt if a test fails).
for i in $(seq 60); do
	n=$(( (RANDOM % 200) + 1 ))
	printf 'raw %s\n' "$(head -c $n /dev/urandom | od -An -tx1 | tr -d ' \n')"
done >"$T_DIR/random.txt"
echo ping >>"$T_DIR/random.txt"
out=$("$RELAYC" --timeout 5 --key "$T_DIR/a.key" "$ADDR" <"$T_DIR/random.txt")
check "60 random plaintexts: each answered with an error" \
	test "$(printf '%s\n' "$out" | grep -c '^error code=')" -eq 60
check "and the connection still serves" has "$(printf '%s\n' "$out" | tail -1)" '^pong$'
out=$(rc a "put AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x")
check "put to an unregistered device: unknown-device" has "$out" '^error code=unknown-device'
out=$(rc c "put $B x")
check "put from an unregistered device: not-registered" has "$out" '^error code=not-registered'

# Nameplate guessing: unknown numbers refused, then rate-limited.
out=$(rc c "np_claim 1234567" "np_claim 7654321" "np_claim 999" "np_claim 31337" "np_claim 4242" "np_claim 77" "np_claim 78")
check "guessed nameplate: np-unknown" has "$out" '^error code=np-unknown'
check "guessing is rate-limited" has "$out" '^error code=rate-limited'

# Thousands of connections that never finish the handshake (2000 from one
# address: all but 40 refused at once, the rest closed by the timeout), while
# the good client keeps being served.
"$RELAYC" --flood 2000 --hold 4 "$ADDR" >"$T_DIR/flood.out" &
FL=$!
sleep 1
check "good client served during the flood" good_ok
wait $FL
check "every flood connection was closed by the relay" \
	grep -Eq '^flood opened=([0-9]+) closed=\1$' "$T_DIR/flood.out"
check "flood refusals logged" test "$(rejects address-limit)" -ge 1000
check "relay still running" relay_alive
check "good client served after everything" good_ok
RSS=$(awk '/VmRSS/ {print $2}' /proc/$RELAY_PID/status)
echo "# relay RSS after the flood: ${RSS} kB"
check "memory stayed bounded (RSS < 64 MB)" test "$RSS" -lt 65536

# The total connection cap, and addresses in the log only when asked for.
printf '[limits]\nconnections = 5\nhandshake_timeout = 2s\n' >"$T_DIR/cap.ini"
bg_start "$T_DIR/cap.log" "$RELAY" --listen 127.0.0.1:0 --data "$T_DIR/cap" --log-addresses \
	--config "$T_DIR/cap.ini"
CAP_PID=$BG_PID
wait_for_line "$T_DIR/cap.log" '^address: ' 10
CAPADDR=$(sed -n 's/^address: //p' "$T_DIR/cap.log")
"$RELAYC" --flood 5 --hold 1.5 "$CAPADDR" >/dev/null &
FL=$!
sleep 0.5
out=$("$RELAYC" --timeout 5 --source 127.0.0.2 --key "$T_DIR/a.key" "$CAPADDR" ping)
check "over the total connection cap: refused" test "$out" = handshake-failed
grep -q 'event=reject reason=conn-limit' "$T_DIR/cap.log"; ok $? "conn-limit logged"
wait $FL
sleep 2.5
out=$("$RELAYC" --timeout 5 --source 127.0.0.2 --key "$T_DIR/a.key" "$CAPADDR" ping)
check "served again once the others are gone" test "$out" = pong
grep -q 'event=accept conn=[0-9]* addr=127\.0\.0\.2' "$T_DIR/cap.log"; ok $? "--log-addresses writes addr= on accept"
done_testing
