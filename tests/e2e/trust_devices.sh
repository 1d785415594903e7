#!/bin/bash
# Issue 11, attacks 1 and 2, on real daemons and a real relay: one device's
# keys are not the person. A linked device never holds the person secret
# key (it does not travel at link; only person.pub is on its disk), so a
# thief with a linked device — or its disk — cannot sign a device list: it
# can neither stop a later revocation, nor revoke or replace other devices,
# nor add one. The identity device revokes it, and the partner applies
# that. The new device's keys travel only inside the sealed pairing channel.
# Before: build_intro sent person_sk to every linked device and the new
# device's record went as a plain nameplate message; a revoked device was never
# told and kept saying "Checked in".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

relay_start
for d in alex alex2 sam; do daemon_start $d || break; done
ok $? "relay and three daemons start"
init alex Alex invite && init sam Sam invite
ok $? "init Alex and Sam"
check "Alex connects" wait_until 10 connected alex
pair alex sam
ok $? "Alex and Sam pair"
check "Sam connects" wait_until 10 connected sam

pair_start link alex || true
api alex2 -n 1 link code="$LINK" | tail -n 1 >"$T_DIR/join-alex2.out"
pair_wait "link-alex.out" | grep -q '"t":"paired"' && grep -q '"t":"paired"' "$T_DIR/join-alex2.out"
ok $? "Alex links a second device"
check "the linked device registers" wait_until 10 connected alex2
has() {          # has TEXT REGEX
	printf '%s\n' "$1" | grep -Eq -- "$2" && return 0
	printf '%s\n' "$1" | head -3 | sed 's/^/#   got: /' >&2
	return 1
}
devices_of() {   # devices_of VIEWER PARTNER N
	api "$1" partners | grep -q "\"devices\":$3,[^}]*\"name\":\"$2\""
}
check "Sam learns the linked device" wait_until 10 devices_of sam Alex 2

K1="$T_DIR/alex/data/keys"; K2="$T_DIR/alex2/data/keys"
[ -d "$K1" ] || K1=$(dirname "$(find "$T_DIR/alex" -name sign.key | head -1)")
[ -d "$K2" ] || K2=$(dirname "$(find "$T_DIR/alex2" -name sign.key | head -1)")
check "the identity device holds person.key" test -f "$K1/person.key"
check "the linked device has no person.key" test ! -e "$K2/person.key"
check "... only the person's public key" test "$(stat -c %s "$K2/person.pub")" -eq 32
# No file of the linked device is the person secret key (nor its seed).
SK=$(od -An -tx1 "$K1/person.key" | tr -d ' \n')
leak=0
for f in "$K2"/*; do
	h=$(od -An -tx1 "$f" | tr -d ' \n')
	case "$h" in *"${SK:0:64}"*) leak=1 ;; esac
done
check "no file of the linked device holds the person secret" test "$leak" -eq 0
DB2=$(find "$T_DIR/alex2" -name store.db | head -1)
check "nor does its store" bash -c "test -s '$DB2' && ! od -An -tx1 '$DB2' | tr -d ' \n' | grep -q '${SK:0:64}'"

DEV1=$(api alex devices | grep -o '{[^{}]*"this":true[^{}]*}' | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
DEV2=$(api alex devices | grep -o '{[^{}]*"this":false[^{}]*}' | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
out=$(api alex2 revoke device="$DEV1")
check "the linked device cannot revoke the identity device" has "$out" '"code":"not-allowed".*identity device'
out=$(api alex2 link 2>&1 | head -1)
check "the linked device cannot add a device" has "$out" '"code":"not-allowed"'
check "Sam still has both of Alex's devices" devices_of sam Alex 2

checkin alex "before the theft" >/dev/null
check "the linked device is in use (it hears Alex's first device)" wait_until 15 has_note alex2 "before the theft"

# The identity device revokes the stolen one; Sam applies it.
api alex revoke device="$DEV2" | grep -q '"t":"ok"'
ok $? "Alex revokes the linked device from the identity device"
check "Sam drops the revoked device" wait_until 10 devices_of sam Alex 1
checkin sam "after the theft" >/dev/null
check "Alex's identity device still hears Sam" wait_until 10 has_note alex "after the theft"
sleep 1
check "the revoked device hears nothing new" bash -c "! ATTUNE_HOME='$T_DIR/alex2' '$APIC' log | grep -q 'after the theft'"

# Attack 10: the revoked device is told, and says so (before: "Checked in", devices normal).
revoked_says() { api alex2 status | grep -q '"code":"revoked"'; }
check "the revoked device learns it was revoked" wait_until 10 revoked_says
out=$(api alex2 status)
check "its status says when" has "$out" 'this device was revoked on [0-9]{4}-[0-9]{2}-[0-9]{2}'
out=$(api alex2 checkin mood=3 desire=3 capacity=3 note="sent after revocation")
check "every write is refused the same way" has "$out" '"code":"revoked"'
OUT=$(ATTUNE_HOME="$T_DIR/alex2" "$BUILD/attune" status 2>&1) && RC=0 || RC=$?
check "attune status there: exit 1" test "$RC" -eq 1
check "... with the sentence" has "$OUT" '^attune: this device was revoked on '
sleep 1
check "nothing it tried reached Sam" bash -c "! ATTUNE_HOME='$T_DIR/sam' '$APIC' log | grep -q 'sent after revocation'"
done_testing
