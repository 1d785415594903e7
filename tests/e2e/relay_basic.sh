#!/bin/bash
# attune-relay end to end: address, invites, registration, put/deliver/ack,
# redelivery after reconnect, quota, prekeys, stats, SIGTERM.
. tests/e2e/lib.sh
. tests/e2e/relay_common.inc

relay_start r '[storage]
mailbox_envelopes = 4
[relay]
stats_interval = 1s
[invites]
device_invites = yes
[limits]
handshake_rate = 1000
handshake_burst = 1000'
check "relay prints its address" test -n "$ADDR"
check "address command prints the same address, bare (issue 13: 'address: ' made copying fail)" \
	test "$("$RELAY" address --data "$RELAY_DATA")" = "$ADDR"
check "relay key file is 0600" test "$(stat -c %a "$RELAY_DATA/relay.key")" = 600

A=$(pubkey a); B=$(pubkey b); C=$(pubkey c)
TOK=$(invite --uses 2)
check "invite prints a token" test -n "$TOK"

out=$(rc a hello ping "put $B hi")
check "hello says unregistered" has "$out" '^hello v=1 registered=0 max_frame=65535$'
check "ping answered before registration" has "$out" '^pong$'
check "put before registration refused" has "$out" '^error code=not-registered'

out=$(rc a "register $TOK" "put $B hi")
check "register with invite" has "$out" '^ok$'
check "put to an unregistered device refused" has "$out" '^error code=unknown-device'
out=$(rc b "register $TOK" "register $TOK")
check "second use of a 2-use invite, re-register is ok" test "$out" = "$(printf 'ok\nok')"
out=$(rc c "register $TOK")
check "used-up invite refused" has "$out" '^error code=invite-used'
out=$(rc c "register AAAAAAAAAAAAAAAAAAAAAA")
check "unknown invite refused" has "$out" '^error code=invite-invalid'
SHORT=$(invite --ttl 1s)
sleep 2
out=$(rc c "register $SHORT")
check "expired invite refused" has "$out" '^error code=invite-expired'
out=$(rc a hello)
check "hello says registered after registration" has "$out" 'registered=1'

out=$(rc a "put $B one" "put $B two" "putmany $B,$B three")
check "puts acknowledged" test "$(printf '%s\n' "$out" | grep -c '^ok$')" = 3
out=$(rc a "put $B four")
check "mailbox-full over the quota" has "$out" '^error code=mailbox-full'
grep -q 'event=reject reason=mailbox-full' "$RELAY_LOG"; ok $? "mailbox-full logged"

out=$(rc b sync "recv 4 5")
check "deliver pushes after sync" has "$out" "^deliver seq=[0-9]+ from=$A env=one ts=[0-9]+$"
check "all four delivered" test "$(printf '%s\n' "$out" | grep -c '^deliver')" = 4
out=$(rc b sync "recv 4 5" "ack 1")
check "unacknowledged envelopes are redelivered after reconnect" \
	test "$(printf '%s\n' "$out" | grep -c '^deliver')" = 4
out=$(rc b sync "recv 3 5" ackall)
check "acked envelope not redelivered" has "$out" 'env=two'
check "acked envelope gone" bash -c "! printf '%s\n' \"\$1\" | grep -q 'env=one'" _ "$out"
out=$(rc b sync "recv 1 1")
check "mailbox empty after ackall" has "$out" '^timeout got=0$'

# Live delivery: b connected and synced, a puts, b gets it pushed.
mkfifo "$T_DIR/b.in"
"$RELAYC" --timeout 10 --key "$T_DIR/b.key" "$ADDR" <"$T_DIR/b.in" >"$T_DIR/b.out" 2>&1 &
T_PIDS="$T_PIDS $!"
exec 3>"$T_DIR/b.in"
echo sync >&3
wait_for_line "$T_DIR/b.out" '^ok$' 5
rc a "put $B live" >/dev/null
echo "recv 1 5" >&3
wait_for_line "$T_DIR/b.out" 'env=live' 5; ok $? "connected recipient gets deliver at once"
echo ackall >&3
exec 3>&-

out=$(rc a "prekeys spk-a otk1 otk2" prekey_count)
check "prekeys stored" has "$out" '^prekey_count n=2$'
out=$(rc b "prekey_get $A" "prekey_get $A" "prekey_get $A" "prekey_get $C")
check "prekey_get pops one-time prekeys in order" has "$out" '^prekey_bundle spk=spk-a otk=otk1$'
check "then the next" has "$out" '^prekey_bundle spk=spk-a otk=otk2$'
check "then none left" has "$out" '^prekey_bundle spk=spk-a otk=nil$'
check "unknown device has no prekeys" has "$out" '^error code=not-found'

out=$(rc a "invite 1 3600")
check "registered device gets an invite" has "$out" '^invite token=[A-Za-z0-9_-]+ expires=[0-9]+$'
DTOK=$(printf '%s\n' "$out" | sed -n 's/^invite token=\([^ ]*\).*/\1/p')
out=$(rc c "register $DTOK")
check "device-made invite registers a partner" has "$out" '^ok$'

sleep 1.5   # stats are written once a second
out=$("$RELAY" stats --data "$RELAY_DATA")
check "stats counts registered devices" has "$out" '^registered_devices +3$'
check "stats counts rejections by reason" has "$out" '^reject_mailbox_full +1$'
out=$("$RELAY" stats --data "$RELAY_DATA" --json)
check "stats --json is one object" has "$out" '^\{"registered_devices":3,.*\}$'

check "no client address in the log" bash -c "! grep -q 'addr=' '$RELAY_LOG'"
check "no envelope content in the log" bash -c "! grep -Eq 'env=|live|spk-a' '$RELAY_LOG'"

kill -TERM "$RELAY_PID"
wait "$RELAY_PID"; rc=$?
check "SIGTERM: exit status 0" test "$rc" -eq 0
grep -q 'event=stopped' "$RELAY_LOG"; ok $? "SIGTERM: stopped cleanly"
check "no sanitizer report in the relay's log" bash -c "! grep -q 'Sanitizer\|runtime error' '$RELAY_LOG'"

# SIGTERM under load: every acknowledged put is on disk afterwards.
relay_start t '[limits]
handshake_rate = 1000
handshake_burst = 1000
put_rate = 1000000
put_burst = 1000000
[storage]
mailbox_envelopes = 10000000'
TOK=$(invite --uses 2)
rc a "register $TOK" >/dev/null
rc b "register $TOK" >/dev/null
# Big envelopes: a full deliver window of them is more than the out buffer holds.
out=$(rc a "putn $B 200 60000")
check "200 puts of 60000-byte envelopes" has "$out" '^putn ok=200$'
out=$("$RELAYC" --timeout 20 --key "$T_DIR/b.key" "$ADDR" sync "recvack 200 20")
check "all delivered to a reader that keeps up (no slow-reader drop)" has "$out" '^recvack got=200$'
"$RELAYC" --timeout 10 --key "$T_DIR/a.key" "$ADDR" "putn $B 1000000 256" >"$T_DIR/putn.out" 2>&1 &
PUTTER=$!
sleep 1
kill -TERM "$RELAY_PID"
wait "$RELAY_PID"; rc=$?
wait "$PUTTER"
check "SIGTERM under load: exit status 0" test "$rc" -eq 0
ACKED=$(sed -n 's/.*putn ok=\([0-9]*\).*/\1/p' "$T_DIR/putn.out")
STORED=$("$RELAY" stats --data "$RELAY_DATA" | awk '/^stored_envelopes/ {print $2}')
echo "# acknowledged $ACKED, stored $STORED"
check "SIGTERM under load: puts were acknowledged" test "${ACKED:-0}" -gt 0
check "SIGTERM under load: every acknowledged put is stored" test "${STORED:-0}" -ge "${ACKED:-1}"

out=$("$RELAY" --listen 127.0.0.1:99999 --data "$T_DIR/x" 2>&1); rc=$?
check "bad --listen is refused with a sentence" has "$out" 'expected HOST:PORT'
done_testing
