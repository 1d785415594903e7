#!/bin/bash
# attune-relay's abuse limits (issue 11, attack 7), on the real relay: each
# limit holds across reconnects and is per source address or per device, not
# per connection. Every check here failed on the relay before these limits.
. tests/e2e/lib.sh
. tests/e2e/relay_common.inc

relay_start r '[limits]
handshake_rate = 1000
handshake_burst = 1000
put_rate = 0.01
put_burst = 5
prekey_rate = 0.01
prekey_burst = 3
prekey_target_rate = 0.01
prekey_target_burst = 4
register_rate = 0.01
register_burst = 4
[nameplates]
rate = 100
burst = 100'
A=$(pubkey a); B=$(pubkey b); C=$(pubkey c); D=$(pubkey d)
TOK=$(invite --uses 4)
for k in a b c d; do
	"$RELAYC" --timeout 5 --source 127.0.0.2 --key "$T_DIR/$k.key" "$ADDR" "register $TOK" >/dev/null
done

# Device-minted invites are off unless the operator turns them on.
out=$(rc a "invite 1 3600")
check "a device cannot mint an invite by default: not-allowed" has "$out" '^error code=not-allowed'

# Puts: per device, across connections (reconnecting used to refill the bucket).
out=$(rc a "putn $B 3")
check "puts within the burst are accepted" has "$out" '^putn ok=3$'
out=$(rc a "putn $B 3")
check "a new connection of the same device does not refill its put bucket" \
	has "$out" '^putn ok=2 first_error=error code=rate-limited'

# Prekey fetches: per requester, across connections.
rc b "prekeys spk-b o1 o2 o3 o4 o5 o6 o7 o8" >/dev/null
rc d "prekeys spk-d o1 o2 o3 o4 o5 o6 o7 o8" >/dev/null
out=$(rc c "prekey_get $B" "prekey_get $B")
check "prekey_get: the first fetches are answered" has "$out" '^prekey_bundle spk=spk-b otk=o1$'
out=$(rc c "prekey_get $D" "prekey_get $D")
check "prekey_get: a requester past its burst is refused, on a new connection too" \
	has "$out" '^error code=rate-limited'
check "prekey_get: the refused fetch took no one-time prekey" bash -c \
	"'$RELAYC' --timeout 5 --key '$T_DIR/a.key' '$ADDR' 'prekey_get $D' | grep -q '^prekey_bundle spk=spk-d otk=o2\$'"
# ... and per target: other requesters cannot drain B's one-time prekeys either.
out=$(rc a "prekey_get $B")
check "prekey_get: B's bundle, a third fetch" has "$out" '^prekey_bundle spk=spk-b otk=o3$'
out=$(rc d "prekey_get $B" "prekey_get $B")
check "prekey_get: a target's bundle is fetched at most its burst, whoever asks" \
	has "$out" '^error code=rate-limited'
left=$("$RELAYC" --timeout 5 --key "$T_DIR/b.key" "$ADDR" prekey_count | sed -n 's/.*n=\([0-9]*\).*/\1/p')
check "prekey_get: B still has one-time prekeys left ($left)" test "${left:-0}" -ge 4

# Registration attempts: per source address, counted before any commit.
out=$(rc e "register nope-1" "register nope-2" "register nope-3" "register nope-4")
check "register: bad invites are refused as invalid" has "$out" '^error code=invite-invalid'
out=$(rc e "register nope-5")
check "register: past the burst a source is refused before the database, on a new connection" \
	has "$out" '^error code=rate-limited'
out=$("$RELAYC" --timeout 5 --source 127.0.0.3 --key "$T_DIR/e.key" "$ADDR" "register nope-6")
check "register: another source address is not affected" has "$out" '^error code=invite-invalid'

# Nameplates: one address holds at most a few, so it cannot squat the short ones.
mkfifo "$T_DIR/np.in"
"$RELAYC" --timeout 10 --key "$T_DIR/n.key" "$ADDR" <"$T_DIR/np.in" >"$T_DIR/np.out" 2>&1 &
T_PIDS="$T_PIDS $!"
exec 3>"$T_DIR/np.in"
for i in 1 2 3 4 5 6; do echo np_alloc >&3; done
echo ping >&3
wait_for_line "$T_DIR/np.out" '^pong$' 5
check "nameplates: one address gets its share" test "$(grep -c '^nameplate np=' "$T_DIR/np.out")" -eq 4
check "nameplates: beyond it, rate-limited" grep -q '^error code=rate-limited' "$T_DIR/np.out"
out=$("$RELAYC" --timeout 5 --source 127.0.0.4 --key "$T_DIR/m.key" "$ADDR" np_alloc)
check "nameplates: another address still allocates" has "$out" '^nameplate np=[0-9]+'
exec 3>&-

check "relay still alive" relay_alive
done_testing
