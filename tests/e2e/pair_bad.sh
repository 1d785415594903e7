#!/bin/bash
# Pairing with bad input: a wrong code fails on both sides and burns the
# nameplate; used, unknown and malformed codes say so; two people on one
# nameplate; a pairing abandoned half-way. Nothing leaves a half-made partner.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

relay_start && daemon_start alex && daemon_start sam && daemon_start cam
ok $? "relay and three daemons start"
init alex Alex invite && init sam Sam && init cam Cam
ok $? "init"
check "Alex connects" wait_until 10 connected alex

no_partners() {
	api "$1" partners | grep -q '"partners":\[\]'
}

# A wrong code: change the second word to another valid one.
pair_start pair alex
ok $? "Alex shows a code"
right=$CODE
w2=${CODE##*-}
other=$(echo "$CODE" | sed -E 's/-[a-z]+$//')
if [ "$w2" = "aardvark" ]; then wrong="$other-absurd"; else wrong="$other-aardvark"; fi
out=$(api sam -n 1 pair code="$wrong" | tail -n 1)
echo "$out" | grep -q '"code":"pairing-failed"'
ok $? "the joiner with a wrong code fails with pairing-failed"
pair_wait pair-alex.out | grep -q '"code":"pairing-failed"'
ok $? "the inviting side fails too"
out=$(api sam pair code="$right")
echo "$out" | grep -Eq '"code":"code-(expired|used)"'
ok $? "the right code no longer works: one guess per nameplate"
no_partners alex && no_partners sam
ok $? "no half-made partner on either side"

# Unknown nameplate, malformed code, unknown word. (Errors that come as the
# first reply: no "pairing" line precedes them, so apic waits for nothing more.)
out=$(api sam pair code="977-$(echo "$right" | cut -d- -f2-)")
echo "$out" | grep -q '"code":"code-expired"'
ok $? "a nameplate nobody opened: code-expired"
out=$(api sam pair code="hello")
[ $? -ne 0 ] && echo "$out" | grep -q '"t":"error"'
ok $? "a malformed code is refused"
out=$(api sam pair code="12-crossover-clockwirk")
echo "$out" | grep -q 'clockwork'
ok $? "an unknown word gets the nearest suggestion"

# Two people on one nameplate: whoever comes second hears code-used.
pair_start pair alex
np=${CODE%%-*}
"$BUILD/tools/relayc" --timeout 10 "$ADDR" "np_claim $np" "sleep 3000" >"$T_DIR/intruder.out" 2>&1 &
INTRUDER=$!
sleep 0.5
out=$(api sam pair code="$CODE")
echo "$out" | grep -q '"code":"code-used"'
ok $? "a second claim on the same nameplate gets code-used"
wait "$INTRUDER" 2>/dev/null
pair_wait pair-alex.out | grep -q '"code":"code-expired"'
ok $? "the inviter fails (code-expired) when the intruder leaves without a word"
no_partners alex && no_partners sam
ok $? "still no partner anywhere"

# Abandoned half-way: the inviting client goes away; its code dies with it.
pair_start pair alex
closes=$(relay_closes)
kill "$PAIR_PID" 2>/dev/null
wait "$PAIR_PID" 2>/dev/null
check "the daemon drops the pairing connection when its client goes away" \
	wait_until 10 bash -c "[ \$(grep -c 'event=close ' '$RELAY_LOG') -gt $closes ]"
out=$(api cam pair code="$CODE")
echo "$out" | grep -Eq '"code":"code-(expired|used)"'
ok $? "a code whose inviter gave up is refused"

# After all that, a correct pairing still works.
pair alex sam
ok $? "a good code pairs"
check "and the safety numbers agree" same_safety alex sam
api alex partners | grep -q '"name":"Sam"'
ok $? "Alex lists Sam"

# Pairing with one of one's own devices is refused (that is what link is for).
pair_start pair alex
out=$(api alex -n 1 pair code="$CODE" 2>&1 | tail -n 1)
echo "$out" | grep -q '"t":"error"'
ok $? "pairing a device with itself fails"
wait "$PAIR_PID" 2>/dev/null

done_testing
