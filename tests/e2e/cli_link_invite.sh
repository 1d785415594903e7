#!/usr/bin/env bash
# Linking a device on a relay that keeps device invites off (its default): the
# identity device cannot mint an invite for the new one, so the new device
# brings its own from the operator: `attune link CODE --invite TOKEN`. Without
# it the linked device could never register at the relay.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

mkdir -p "$T_DIR/relay"
# Every device connects from 127.0.0.1: the per-address nameplate cap is raised.
# Nothing about invites: device invites stay off, as on a relay out of the box.
printf '[nameplates]\nper_address = 100\n' >"$T_DIR/relay.conf"
bg_start "$T_DIR/relay.log" "$BUILD/attune-relay" --listen 127.0.0.1:0 --data "$T_DIR/relay" \
	--config "$T_DIR/relay.conf"
check "relay starts" wait_for_line "$T_DIR/relay.log" '^address: attune://'
RELAY=$(sed -n 's/^address: //p' "$T_DIR/relay.log" | head -1)
INVITE=$("$BUILD/attune-relay" invite --data "$T_DIR/relay" --uses 3)
for who in alex laptop sam; do
	cli_daemon_start "$who"
done
as alex init --name Alex --relay "$RELAY" --invite "$INVITE"
check "alex sets up the first device" test "$RC" -eq 0
as sam init --name Sam --relay "$RELAY" --invite "$INVITE"
check "sam sets up" test "$RC" -eq 0
check "alex invites sam" invite_start alex pair
as sam pair "$CODE"
check "sam pairs" has "$OUT" '^Paired with Alex\.$'
invite_wait

as alex pair --invite "$INVITE"
check "pair takes no --invite (a partner's device has init --invite): exit 2" test "$RC" -eq 2
as laptop link --invite "$INVITE"
check "link --invite without a code: exit 2" test "$RC" -eq 2
check "and says where an invite goes" has "$ERR" 'goes with .attune link CODE. on the new device'

check "alex asks for a link code" invite_start alex link
LINK=$(head -1 "$INV_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
as laptop link "$LINK" --invite "$INVITE"
check "the laptop links with its own invite" test "$RC" -eq 0
check "it says it is linked" has "$OUT" '^Linked'
invite_wait; rc=$?
check "the first device finishes too" test "$rc" -eq 0
# relay_devices N: the relay's stats count N registered devices (within 10 s).
relay_devices() {
	local i=0
	while [ $i -lt 100 ]; do
		"$BUILD/attune-relay" stats --data "$T_DIR/relay" --json | grep -q "\"registered_devices\":$1," && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
check "the relay has registered the laptop too (three devices)" relay_devices 3

# Registered, the laptop receives what Sam sends to Alex.
as sam checkin --mood 4 --desire 3 --capacity 4 --to Alex --note "for both of alex's devices"
check "sam checks in" test "$RC" -eq 0
check "the laptop receives sam's check-in" until_has laptop "for both of alex's devices" status
as laptop checkin --mood 3 --desire 2 --capacity 3 --to Sam --note "written on the laptop"
check "the laptop checks in" test "$RC" -eq 0
check "sam receives the laptop's check-in" until_has sam "written on the laptop" status
done_testing
