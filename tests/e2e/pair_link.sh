#!/bin/bash
# Several devices and partners: a couple pairs, each links a second device,
# all four devices see the same check-ins; a revoked device receives nothing
# new and cannot send; unpair is silent by default and tells with `tell`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

relay_start
for d in alex alex2 sam sam2 cam dee; do daemon_start $d || break; done
ok $? "relay and six daemons start"
init alex Alex invite && init sam Sam && init cam Cam && api dee init name=Dee >/dev/null
ok $? "init Alex, Sam, Cam, and Dee without any relay"
check "Alex connects" wait_until 10 connected alex
pair alex sam
ok $? "Alex and Sam pair"
check "Sam connects" wait_until 10 connected sam

# link NEW EXISTING: a fresh device joins with the link (relay address + code).
link() {
	pair_start link "$2" || return 1
	api "$1" -n 1 link code="$LINK" | tail -n 1 >"$T_DIR/join-$1.out"
	pair_wait "link-$2.out" | grep -q '"t":"paired"' && grep -q '"t":"paired"' "$T_DIR/join-$1.out"
}
devices_of() {   # devices_of VIEWER PARTNER N: VIEWER sees N devices of PARTNER
	api "$1" partners | grep -q "\"devices\":$3,[^}]*\"name\":\"$2\""
}

link alex2 alex
ok $? "Alex links a second device (fresh, relay from the link)"
[ "$(grep -o '"safety":"[^"]*"' "$T_DIR/link-alex.out")" = "$(grep -o '"safety":"[^"]*"' "$T_DIR/join-alex2.out")" ]
ok $? "both devices show the same safety number"
api alex2 status | grep -q '"name":"Alex"'
ok $? "the new device is Alex"
check "the new device registers at the relay" wait_until 10 connected alex2
check "Alex's first device lists two devices" wait_until 10 bash -c \
	"ATTUNE_HOME='$T_DIR/alex' '$APIC' devices | grep -o '\"this\"' | wc -l | grep -qx 2"
api alex2 partners | grep -q '"name":"Sam"'
ok $? "the new device knows Alex's partner Sam"
check "Sam learns Alex's new device from a signed device list" wait_until 10 devices_of sam Alex 2

link sam2 sam
ok $? "Sam links a second device"
check "Sam's second device registers" wait_until 10 connected sam2
check "Alex learns Sam's new device" wait_until 10 devices_of alex Sam 2
check "Alex's second device learns it too" wait_until 10 devices_of alex2 Sam 2

checkin alex "from alex one" >/dev/null
checkin sam2 "from sam two" >/dev/null
checkin alex2 "from alex two" >/dev/null
seen=0   # (a failed wait used to leave $? at 0 after `break 2`: this check asserted nothing)
for d in alex alex2 sam sam2; do
	for n in "from alex one" "from sam two" "from alex two"; do
		wait_until 15 has_note $d "$n" || { echo "# $d lacks: $n"; seen=1; break 2; }
	done
done
ok $seen "all four devices see all three check-ins"
api sam log | grep -q '"author":"Alex","[^}]*"note":"from alex two"' || \
	api sam log | grep -o '{[^{}]*from alex two[^{}]*}' | grep -q '"author":"Alex"'
ok $? "a check-in from Alex's second device is Alex's"
api alex log | grep -o '{[^{}]*from alex two[^{}]*}' | grep -q '"mine":true'
ok $? "Alex's first device shows the second device's check-in as his own"

# Revoke Alex's second device.
dev2=$(api alex devices | grep -o '{[^{}]*"this":false[^{}]*}' | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
[ -n "$dev2" ]
ok $? "Alex's device list gives the second device's id"
api alex revoke device="$dev2" | grep -q '"t":"ok"'
ok $? "Alex revokes the second device"
check "Sam sees only one device of Alex" wait_until 10 devices_of sam Alex 1
check "Sam's second device too" wait_until 10 devices_of sam2 Alex 1
checkin sam "after the revocation" >/dev/null
check "Alex's remaining device receives Sam's next check-in" wait_until 10 has_note alex "after the revocation"
sleep 1
! has_note alex2 "after the revocation"
ok $? "the revoked device receives nothing new"
checkin alex2 "from the revoked device" >/dev/null
sleep 1.5
! has_note sam "from the revoked device" && ! has_note alex "from the revoked device"
ok $? "what the revoked device sends is dropped"

# Unpair, silent: Alex drops Cam; Cam is told nothing.
pair alex cam
ok $? "Alex pairs with Cam"
check "Cam connects" wait_until 10 connected cam
api alex unpair name=Cam tell=false | grep -q '"t":"ok"'
ok $? "Alex unpairs Cam silently"
! api alex partners | grep -q '"name":"Cam"'
ok $? "Cam is gone from Alex's partners"
api cam partners | grep -q '"name":"Alex"'
ok $? "Cam was told nothing"
checkin cam "cam after unpair" >/dev/null
sleep 1.5
! has_note alex "cam after unpair"
ok $? "nothing from Cam is accepted any more"

# Unpair with tell: Dee leaves Alex and says so.
pair_start pair alex
api dee -n 1 pair code="$LINK" | tail -n 1 | grep -q '"t":"paired"'
ok $? "Dee, who has no relay yet, pairs with the link (relay address + code)"
pair_wait pair-alex.out | grep -q '"t":"paired"'
ok $? "Alex's side says paired"
check "Dee takes the relay and the invite from the pairing and connects" wait_until 10 connected dee
api dee status | grep -q "\"relay\":\"$ADDR\""
ok $? "Dee's status shows the relay"
checkin dee "dee was here" >/dev/null
check "Alex gets Dee's check-in" wait_until 10 has_note alex "dee was here"
api dee unpair name=Alex tell=true | grep -q '"t":"ok"'
ok $? "Dee unpairs Alex with a signed farewell"
check "Alex's daemon removes Dee" wait_until 10 bash -c \
	"! ATTUNE_HOME='$T_DIR/alex' '$APIC' partners | grep -q '\"name\":\"Dee\"'"
! has_note alex "dee was here"
ok $? "and Dee's check-ins with her"

done_testing
