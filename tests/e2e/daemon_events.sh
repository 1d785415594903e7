#!/usr/bin/env bash
# The event model through real daemons and a real relay (apic on the local
# API): per-partner field scoping, bids, answers with context, rain check
# reminders, retraction, unpair, export.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

# jqa NAME TYPE FILTER [FIELD...]: one request, then a jq filter over the reply.
jqa() {
	local n=$1 t=$2 f=$3; shift 3
	api "$n" "$t" "$@" | jq -r "$f"
}
# eq EXPECTED CMD...: CMD prints EXPECTED.
eq() {
	local want=$1 got; shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] || { echo "# expected [$want], got [$got]" >&2; return 1; }
}
# has_code JSON CODE: the reply is an error with this code.
has_code() {
	[ "$(printf '%s' "$1" | jq -r .code)" = "$2" ]
}
# partner_field VIEWER PARTNER FIELD: the note of PARTNER's current check-in as VIEWER sees it.
partner_field() {
	jqa "$1" status ".partners[] | select(.name == \"$2\") | .checkin.$3 // \"-\""
}

relay_start
ok $? "relay starts"
daemon_start alex && daemon_start sam && daemon_start jo
ok $? "three daemons start"
init alex Alex invite && init sam Sam && init jo Jo
ok $? "init all three"
check "Alex registers" wait_until 10 connected alex
pair alex sam
ok $? "Alex and Sam pair"
pair alex jo
ok $? "Alex and Jo pair"

# Field scoping: desire and the note for Sam only.
out=$(api alex checkin mood=2 desire=4 capacity=3 'tags[]=tired' note="for Sam's eyes" \
	'only.desire[]=Sam' 'only.note[]=Sam')
ACI=$(printf '%s' "$out" | jq -r .event_id)
check "Alex's scoped check-in is queued for both" test "$(printf '%s' "$out" | jq -r .queued)" -ge 2
check "Sam gets it" wait_until 10 eq "$ACI" partner_field sam Alex id
check "Jo gets it" wait_until 10 eq "$ACI" partner_field jo Alex id
check "Sam sees the desire" eq 4 partner_field sam Alex desire
check "Sam sees the note" eq "for Sam's eyes" partner_field sam Alex note
check "Jo sees the mood" eq 2 partner_field jo Alex mood
check "Jo does not see the desire" eq - partner_field jo Alex desire
check "Jo does not see the note" eq - partner_field jo Alex note
check "Jo is not told who else got it" eq - partner_field jo Alex to
check "Alex's own view keeps the scoping" eq Sam jqa alex status '.me.checkin.only.desire[0]'
out=$(api alex checkin mood=2 desire=1 capacity=3 'to[]=Sam' 'only.desire[]=Jo')
check "scoping to someone outside the audience: not-allowed" has_code "$out" not-allowed

# Sam checks in; Alex bids to Sam only.
SCI=$(api sam checkin mood=2 desire=1 capacity=1 'tags[]=tired,stressed' 'open_to[]=cuddle' \
	note="deadline day" | jq -r .event_id)
check "Alex gets Sam's check-in" wait_until 10 eq "$SCI" partner_field alex Sam id
BID=$(api alex bid kind=tonight 'to[]=Sam' note="dinner then us?" | jq -r .event_id)
check "the bid has an id" eq 32 bash -c "printf %s '$BID' | wc -c"
check "Sam sees the bid, open" wait_until 10 eq "open" jqa sam status ".bids_to_me[] | select(.id == \"$BID\") | .state"
check "the bid's kind travels" eq tonight jqa sam status '.bids_to_me[0].bid_kind'
check "Jo never sees a bid meant for Sam" eq 0 jqa jo log '[.events[] | select(.kind == "bid")] | length'
out=$(api alex respond bid="$BID" answer=yes)
check "answering one's own bid: not-allowed" has_code "$out" not-allowed
out=$(api sam respond bid="$BID" answer=perhaps)
check "an unknown answer: out-of-range" has_code "$out" out-of-range

# Sam answers "not tonight" with context and a rain check a few seconds ahead.
ATTUNE_HOME="$T_DIR/sam" timeout 30 "$APIC" -n 2 watch >"$T_DIR/sam-watch.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_for_line "$T_DIR/sam-watch.out" '"t":"ok"'
RC=$(( $(date +%s) + 3 ))
RESP=$(api sam respond bid="$BID" answer=not-tonight 'reason[]=tired' 'offer[]=cuddle,talk' \
	raincheck=$RC note="wiped out, rain check?" | jq -r .event_id)
check "the answer has an id" eq 32 bash -c "printf %s '$RESP' | wc -c"
check "Sam's open bids no longer list it" eq 0 jqa sam status '.bids_to_me | length'
check "Alex sees the answer on his bid" wait_until 10 eq not-tonight \
	jqa alex status '.bids_from_me[0].answers[0].answer'
check "the offer travels" eq "cuddle,talk" jqa alex status '.bids_from_me[0].answers[0].offer | join(",")'
check "Sam's check-in travels as context" eq "$SCI" jqa alex status '.bids_from_me[0].answers[0].checkin.id'
check "Alex's bid is answered" eq answered jqa alex status '.bids_from_me[0].state'
check "Alex sees the rain check" eq "Sam $RC false" jqa alex status '.rainchecks[0] | "\(.who) \(.at) \(.mine)"'
check "Sam sees the rain check as hers to keep" eq "Alex true" jqa sam status '.rainchecks[0] | "\(.who) \(.mine)"'
wait_for_line "$T_DIR/sam-watch.out" '"raincheck_due"' 15
check "Sam is reminded when the rain check comes due" grep -q "\"kind\":\"raincheck_due\".*\"who\":\"Alex\"" "$T_DIR/sam-watch.out"

# Retraction.
check "Alex retracts the bid" eq ok jqa alex retract .t ref="$BID"
check "Sam's log shows the bid retracted" wait_until 10 eq retracted \
	jqa sam log ".events[] | select(.id == \"$BID\") | .state"
out=$(api sam retract ref="$BID")
check "retracting someone else's bid: not-allowed" has_code "$out" not-allowed

# Export and unpair.
check "export holds the history" eq true jqa alex export '(.events | length) >= 4 and (.partners | length) == 2'
check "unpair Jo" eq ok jqa alex unpair .t name=Jo
check "Jo is gone from Alex's partners" eq Sam jqa alex partners '[.partners[].name] | join(",")'
out=$(api alex unpair name=Jo)
check "unpair again: unknown-partner" has_code "$out" unknown-partner
out=$(api alex bid kind=talk 'to[]=Jo')
check "bid to a former partner: unknown-partner" has_code "$out" unknown-partner

done_testing
