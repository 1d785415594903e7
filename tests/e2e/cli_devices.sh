#!/usr/bin/env bash
# attune link / devices / revoke through the CLI: Alex adds a second device
# with a code, both of Alex's devices and Sam see the same history, Alex
# revokes the second device; errors for unknown devices and bad codes.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

check "relay starts" cli_relay_start
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

# The second device joins with a code, without init.
as laptop status
check "the new device is not set up" has "$ERR" 'not set up yet: run .attune init --name NAME. \(or .attune link CODE.'
check "alex asks for a link code" invite_start alex link
as laptop link "$CODE"
check "a code alone on a device without a relay: says to give one" has "$ERR" 'cannot reach the relay \(no relay known: give one with --relay'
kill "$INV_PID" 2>/dev/null; wait "$INV_PID" 2>/dev/null   # nobody will come for that code
check "alex asks for a link code again" invite_start alex link
LINK=$(head -1 "$INV_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
as laptop link "$LINK"
check "the laptop links with the whole link (relay and code)" test "$RC" -eq 0
check "it says it is linked" has "$OUT" '^Linked'
invite_wait; rc=$?
check "the first device finishes too" test "$rc" -eq 0
as laptop status --json
check "the laptop is Alex" json "$OUT" 'd["me"]["name"] == "Alex"'
LAPTOP=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["me"]["device"])')
check "alex's devices list both" until_has alex "^$LAPTOP\$" devices
as alex devices --json
check "devices --json: two, one of them this one" json "$OUT" \
	'len(d["devices"]) == 2 and sorted(x["this"] for x in d["devices"]) == [False, True]'
check "the laptop knows sam" until_has laptop '^Sam - ' partners
check "sam learns alex's second device without pairing again" until_has sam '^Alex - 2 devices' partners

# Every device of a person sees the same history.
as sam checkin --mood 4 --desire 3 --capacity 4 --note "for both of alex's devices"
check "alex's first device gets sam's check-in" until_has alex "for both of alex's devices" status
check "so does the laptop" until_has laptop "for both of alex's devices" status
as laptop checkin --mood 3 --desire 2 --capacity 3 --note "written on the laptop"
check "sam gets the laptop's check-in, as alex's" until_has sam '^Alex - .*mood 3/5' status
check "alex's first device shows it as its own" until_has alex '^Alex \(you\) - .*mood 3/5' status

# Revoking the laptop.
as alex revoke 0000000000000000
check "revoke an unknown device: refused" test "$RC" -eq 1
check "with a sentence" has "$ERR" '^attune: '
as alex revoke
check "revoke without a device: usage" has "$ERR" 'give one device id, as .attune devices. shows it'
as alex revoke "$LAPTOP"
check "alex revokes the laptop" has "$OUT" "^Revoked $LAPTOP: your partners stop encrypting to it now\\.$"
as alex devices --json
check "the laptop is marked revoked" json "$OUT" \
	'[x["revoked"] for x in d["devices"] if x["id"] == "'"$LAPTOP"'"] == [True]'
check "sam's view: alex has one device again" until_has sam '^Alex - 1 device' partners

# Unpair with a farewell: sam's daemon removes alex too.
as alex unpair Sam --tell --yes
check "alex unpairs sam and tells her" has "$OUT" '^Unpaired from Sam\. They were told\.$'
check "sam's device no longer lists alex" until_has sam '^No partner yet' partners
as alex partners --json
check "alex has no partner left" json "$OUT" 'd["partners"] == []'

done_testing
