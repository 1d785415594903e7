#!/bin/bash
# Two and three daemons exchange check-ins through a real relay: pairing,
# delivery both ways, audiences (a partner sees only what was sent to them),
# and a daemon restarted mid-conversation keeps its sessions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

relay_start
ok $? "relay starts"
daemon_start alex && daemon_start sam && daemon_start cam
ok $? "three daemons start"
init alex Alex invite && init sam Sam && init cam Cam
ok $? "init all three (only Alex has an invite)"
check "Alex is connected and registered" wait_until 10 connected alex

pair alex sam
ok $? "Alex and Sam pair; both sides say paired"
check "both sides show the same safety number" same_safety alex sam
check "Sam, invited through the pairing, registers at the relay" wait_until 10 connected sam

checkin alex "deadline day" >/dev/null
check "Sam receives Alex's check-in" wait_until 10 has_note sam "deadline day"
checkin sam "would love a cuddle" >/dev/null
check "Alex receives Sam's check-in" wait_until 10 has_note alex "would love a cuddle"
api sam log | grep -q '"author":"Alex"'
ok $? "Sam's log names the author Alex"

pair alex cam
ok $? "Alex pairs with a third person, Cam"
check "Cam registers" wait_until 10 connected cam
api alex partners | grep -q '"name":"Cam"' && api alex partners | grep -q '"name":"Sam"'
ok $? "Alex has two partners"

checkin alex "for sam only" to[]=Sam >/dev/null
checkin alex "for cam only" to[]=Cam >/dev/null
checkin alex "for everyone" >/dev/null
check "Cam receives the check-in to everyone" wait_until 10 has_note cam "for everyone"
check "Sam receives the check-in to everyone" wait_until 10 has_note sam "for everyone"
check "Cam receives the check-in to Cam" has_note cam "for cam only"
! has_note cam "for sam only"
ok $? "Cam never sees the check-in sent to Sam only"
! has_note sam "for cam only"
ok $? "Sam never sees the check-in sent to Cam only"

checkin cam "cam says hi" >/dev/null
check "Alex receives Cam's check-in" wait_until 10 has_note alex "cam says hi"
! api sam log | grep -q '"author":"Cam"'
ok $? "Sam (not Cam's partner) gets nothing from Cam"

# Restart mid-conversation: sessions come back from the store.
daemon_kill sam
daemon_start sam
ok $? "Sam's daemon restarts"
check "Sam reconnects" wait_until 10 connected sam
checkin alex "after the restart" >/dev/null
check "Sam receives a check-in after restarting" wait_until 10 has_note sam "after the restart"
checkin sam "sam after restart" >/dev/null
check "Alex receives Sam's check-in after Sam restarted" wait_until 10 has_note alex "sam after restart"
api sam status | grep -q '"undecryptable":0' && api alex status | grep -q '"undecryptable":0'
ok $? "nothing was undecryptable"
api alex status | grep -q '"outbox":0'
ok $? "Alex's outbox is empty once delivered"

done_testing
