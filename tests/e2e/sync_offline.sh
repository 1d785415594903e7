#!/bin/bash
# Delivery when things are down: the relay stopped (check-in queued, sent
# once it is back), the sending daemon killed with -9 right after "queued"
# (the outbox survives), and the recipient offline while several check-ins
# arrive (all delivered, in order, on its return).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

relay_start && daemon_start alex && daemon_start sam
ok $? "relay and two daemons start"
init alex Alex invite && init sam Sam
ok $? "init"
check "Alex connects" wait_until 10 connected alex
pair alex sam
ok $? "Alex and Sam pair"
check "Sam connects" wait_until 10 connected sam
checkin alex "first" >/dev/null
check "a first check-in arrives (sessions up)" wait_until 10 has_note sam "first"

# 1. The relay is down: queued, then delivered when it is back.
relay_stop
check "Alex notices the relay is gone" wait_until 10 bash -c "! ATTUNE_HOME='$T_DIR/alex' '$APIC' status | grep -q '\"connected\":true'"
out=$(checkin alex "while the relay was down")
echo "$out" | grep -q '"queued":1'
ok $? "the check-in is queued for Sam's one device"
api alex status | grep -q '"outbox":1'
ok $? "status shows one envelope in the outbox"
relay_start "$RELAY_PORT"
ok $? "the relay comes back on the same port"
check "Sam receives the check-in queued while the relay was down" \
	wait_until 15 has_note sam "while the relay was down"
check "Alex's outbox drains" wait_until 10 bash -c "ATTUNE_HOME='$T_DIR/alex' '$APIC' status | grep -q '\"outbox\":0'"

# 2. kill -9 right after "queued" (relay up; the flush may or may not have happened).
out=$(checkin alex "killed right after queued")
daemon_kill alex KILL
echo "$out" | grep -q '"queued":1'
ok $? "queued before the kill"
daemon_start alex
ok $? "Alex's daemon restarts after kill -9"
check "Sam receives it" wait_until 15 has_note sam "killed right after queued"

# 3. kill -9 while the relay is down: only the outbox on disk can carry it.
relay_stop
check "Alex sees the relay gone" wait_until 10 bash -c "! ATTUNE_HOME='$T_DIR/alex' '$APIC' status | grep -q '\"connected\":true'"
out=$(checkin alex "outbox survived kill -9")
echo "$out" | grep -q '"queued":1'
ok $? "queued with the relay down"
daemon_kill alex KILL
relay_start "$RELAY_PORT" && daemon_start alex
ok $? "relay and Alex's daemon back"
check "Sam receives the check-in that was only in the outbox" \
	wait_until 15 has_note sam "outbox survived kill -9"

# 4. Sam offline while several check-ins arrive: all of them, in order.
daemon_kill sam
for i in 1 2 3 4 5 6; do
	checkin alex "offline-$i" >/dev/null
done
check "the relay took all six" wait_until 10 bash -c "ATTUNE_HOME='$T_DIR/alex' '$APIC' status | grep -q '\"outbox\":0'"
daemon_start sam
ok $? "Sam's daemon comes back"
check "Sam receives the last one" wait_until 15 has_note sam "offline-6"
want=$(notes alex)
got=$(notes sam)
[ "$want" = "$got" ]
ok $? "Sam has every check-in, in Alex's order"
[ "$want" = "$got" ] || echo "# alex: $want | sam: $got"
api sam status | grep -q '"undecryptable":0'
ok $? "nothing undecryptable"

done_testing
