#!/bin/bash
# Pairing rendezvous through attune-relay: two unregistered clients meet on a
# nameplate, exchange messages, close; nameplates are single-use and expire.
. tests/e2e/lib.sh
. tests/e2e/relay_common.inc

relay_start r '[nameplates]
ttl = 2s
[limits]
handshake_rate = 1000
handshake_burst = 1000'

# Side A keeps its connection open and takes commands from a fifo.
mkfifo "$T_DIR/a.in"
"$RELAYC" --timeout 10 --key "$T_DIR/a.key" "$ADDR" <"$T_DIR/a.in" >"$T_DIR/a.out" 2>&1 &
T_PIDS="$T_PIDS $!"
exec 3>"$T_DIR/a.in"
echo np_alloc >&3
wait_for_line "$T_DIR/a.out" '^nameplate np=[0-9]+ expires=[0-9]+$' 5
ok $? "np_alloc gives a nameplate to an unregistered device"
NP=$(sed -n 's/^nameplate np=\([0-9]*\).*/\1/p' "$T_DIR/a.out")
check "nameplate is a small number" test "$NP" -lt 1000
# A speaks first: queued until B claims.
echo "np_send $NP from-a-first" >&3
echo "wait np_msg 10" >&3
"$RELAYC" --timeout 10 --key "$T_DIR/b.key" "$ADDR" "np_claim $NP" "wait np_msg 5" \
	"np_send $NP from-b" "wait np_msg 5" "wait np_closed 5" >"$T_DIR/b.out" 2>&1 &
B_PID=$!
wait_for_line "$T_DIR/a.out" "^np_msg np=$NP data=from-b$" 10
ok $? "A receives B's message"
echo "np_send $NP from-a-second" >&3
out=$("$RELAYC" --timeout 5 --key "$T_DIR/c.key" "$ADDR" "np_claim $NP" "np_send $NP intruder")
check "a third side cannot claim: np-taken" has "$out" '^error code=np-taken'
check "a third side cannot send: not-allowed" has "$out" '^error code=not-allowed'
echo "np_close $NP" >&3
wait $B_PID
b=$(cat "$T_DIR/b.out")
check "B claims" has "$b" '^ok$'
check "B gets A's message sent before the claim" has "$b" "^np_msg np=$NP data=from-a-first$"
check "B gets A's second message" has "$b" "^np_msg np=$NP data=from-a-second$"
check "B is told when A closes" has "$b" "^np_closed np=$NP$"
out=$("$RELAYC" --timeout 5 --key "$T_DIR/c.key" "$ADDR" "np_claim $NP")
check "closed nameplate is gone (single use)" has "$out" '^error code=np-unknown'
echo "np_alloc" >&3
sleep 0.2
NP2=$(sed -n 's/^nameplate np=\([0-9]*\).*/\1/p' "$T_DIR/a.out" | tail -1)
sleep 3.2
out=$("$RELAYC" --timeout 5 --key "$T_DIR/c.key" "$ADDR" "np_claim $NP2")
check "nameplate expires (ttl 2s here)" has "$out" '^error code=np-unknown'
echo "wait np_closed 3" >&3
wait_for_line "$T_DIR/a.out" "^np_closed np=$NP2$" 5; ok $? "owner told when its nameplate expires"
exec 3>&-
# A side that disconnects closes its nameplates.
mkfifo "$T_DIR/d.in"
"$RELAYC" --timeout 10 --key "$T_DIR/d.key" "$ADDR" <"$T_DIR/d.in" >"$T_DIR/d.out" 2>&1 &
D_PID=$!
exec 4>"$T_DIR/d.in"
echo np_alloc >&4
wait_for_line "$T_DIR/d.out" '^nameplate np=' 5
NP3=$(sed -n 's/^nameplate np=\([0-9]*\).*/\1/p' "$T_DIR/d.out")
exec 4>&-
wait $D_PID
sleep 0.2
out=$("$RELAYC" --timeout 5 --key "$T_DIR/c.key" "$ADDR" "np_claim $NP3")
check "nameplate of a disconnected side is gone" has "$out" '^error code=np-unknown'
check "nothing exchanged is logged" bash -c "! grep -q 'from-a\|from-b' '$RELAY_LOG'"
done_testing
