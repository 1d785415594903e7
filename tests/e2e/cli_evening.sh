#!/usr/bin/env bash
# attune through a real relay and three real daemons (Alex partnered with Sam
# and with Jo): pairing with real codes and a wrong one, check-ins with
# audiences and per-partner fields, bids, answers with context, rain checks,
# retraction, watch, log, --json — what each person sees, and what they must not.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

jval() { printf '%s' "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }

# The relay, an invite for the three devices, three daemons.
check "relay starts" cli_relay_start
for who in alex sam jo; do
	cli_daemon_start "$who"
	[ "$who" = alex ] && ALEX_PID=$BG_PID
done
for who in alex sam jo; do
	name="$(tr a-z A-Z <<<"${who:0:1}")${who:1}"
	as "$who" init --name "$name" --relay "$RELAY" --invite "$INVITE"
	check "init $name with the relay and an invite" test "$RC" -eq 0
done

check "alex: pair --json prints the code and link first" invite_start alex pair
check "the code has the nameplate-word-word shape" has "$CODE" '^[0-9]+-[a-z]+-[a-z]+$'
check "the link carries the relay and the code" has "$(head -1 "$INV_OUT")" "\"link\":\"attune://.*$CODE"
as sam pair "$CODE" --json
check "sam joins with the code" test "$RC" -eq 0
invite_wait; arc=$?
check "alex's side finishes too" test "$arc" -eq 0
S1=$(jval "$OUT" 'd["safety"]')
S2=$(tail -1 "$INV_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["safety"])')
check "both sides show the same safety number" test -n "$S1" -a "$S1" = "$S2"
check "each side names the other" json "$OUT" 'd["partner"] == "Alex"'
check "alex's JSON result names sam" json "$(tail -1 "$INV_OUT")" 'd["partner"] == "Sam" and d["safety_words"] != ""'

# A wrong code fails on both sides, and burns the nameplate.
check "alex invites again" invite_start alex pair
# The same nameplate, a valid but different second word: a real guess, and a wrong one.
WRONG=$(python3 -c '
import json, sys
code = sys.argv[1]; words = json.load(open(sys.argv[2]))
np, w1, w2 = code.split("-")
col = next(i for pair in words.values() for i in (0, 1) if pair[i].lower() == w2)
other = next(p[col].lower() for p in words.values() if p[col].lower() != w2)
print("-".join((np, w1, other)))' "$CODE" "$VECTORS/wordlist/pgp_words.json")
as jo pair "$WRONG"
check "jo with a wrong code: fails, exit 1" test "$RC" -eq 1
check "jo is told the code did not match, to start again" has "$ERR" 'pairing failed: the code did not match'
invite_wait; arc=$?
check "alex's side fails too" test "$arc" -eq 1
check "alex is told too" has "$(cat "$INV_ERR")" 'pairing failed'
as jo pair "$CODE"
check "the right code after a wrong guess no longer works" test "$RC" -ne 0
as jo partners --json
check "no half-made partner on jo's side" json "$OUT" 'd["partners"] == []'

check "alex invites jo" invite_start alex pair
as jo pair "$CODE"
check "jo pairs with alex" has "$OUT" '^Paired with Alex\.$'
check "the human output shows the safety number and what to do" has "$OUT" '^Safety number: [0-9 ]+$'
invite_wait
as alex partners
check "alex has two partners" test "$(printf '%s\n' "$OUT" | grep -cE '^(Jo|Sam) - 1 device')" -eq 2
as jo partners --json
check "jo has one partner: alex" json "$OUT" '[p["name"] for p in d["partners"]] == ["Alex"]'

# Sam watches; what arrives is printed one JSON document per line.
ATTUNE_HOME="$T_DIR/sam" bg_start "$T_DIR/watch.sam" "$ATTUNE" watch --json
WATCH_PID=$BG_PID
# Alex watches in words.
ATTUNE_HOME="$T_DIR/alex" bg_start "$T_DIR/watch.alex" "$ATTUNE" watch
ALEX_WATCH_PID=$BG_PID
check "watch says it is watching" wait_for_line "$T_DIR/watch.alex" '^Watching for check-ins'

# Check-ins: Sam to all (Alex), Jo to Alex, Alex with desire for Sam only.
as sam checkin --mood 2 --desire 1 --capacity low --tag tired,stressed --open-to cuddle,talk \
	--note "deadline day, would love to just hold you tonight"
check "sam checks in" has "$OUT" '^Checked in'
as alex checkin --mood good --desire high --capacity ok --tag playful --open-to cuddle,date \
	--only desire=Sam --note "home by seven"
check "alex checks in with desire scoped to sam" test "$RC" -eq 0
check "alex sees sam's check-in as a sentence" until_has alex \
	'^Sam - (just now|[0-9]+ min ago) - mood 2/5 - desire 1/5 - capacity low - tired, stressed - open to: cuddle, talk$' status
check "and sam's note below it" has "$OUT" '^  "deadline day, would love to just hold you tonight"$'
check "sam sees alex's desire" until_has sam '^Alex - .* desire 4/5' status
OUT=$(ATTUNE_HOME="$T_DIR/alex" "$BUILD/tools/client_example" 2>&1)
check "the client library's example reads the same status" has "$OUT" '^Sam: mood 2/5$'
check "and names partners without a check-in" has "$OUT" '^Jo: no check-in$'
check "jo sees alex's check-in" until_has jo '^Alex - .*mood 4/5' status
check "but not alex's desire" lacks "$OUT" 'desire'
as jo status --json
check "jo's JSON has no desire field at all" json "$OUT" '"desire" not in d["partners"][0]["checkin"] and d["partners"][0]["checkin"]["mood"] == 4'
check "jo sees alex's note" json "$OUT" 'd["partners"][0]["checkin"]["note"] == "home by seven"'
as alex status --json
check "alex's own check-in lists the scoping" json "$OUT" 'd["me"]["checkin"]["only"] == {"desire": ["Sam"]}'

# Audience: a check-in for Sam only never reaches Jo.
as alex checkin --mood 3 --desire 3 --capacity 3 --to Sam --note "for sam only"
check "sam gets alex's check-in for sam" until_has sam 'for sam only' status
as jo log --json --since 1d
check "jo's device holds nothing of it" lacks "$OUT" 'for sam only'
check "jo's latest from alex is still the earlier one" until_has jo 'home by seven' status
as alex checkin --mood 3 --desire 3 --capacity 3 --to Sam,Nobody
check "an unknown name in --to: refused, nothing sent" has "$ERR" 'no partner by that name'

# A bid for Sam; Sam answers not tonight, with context.
as alex bid --to Sam --kind tonight --note "come to bed early?"
BID=$OUT
check "bid prints the bid's id alone when not on a terminal" has "$BID" '^[0-9a-f]{32}$'
as alex bid --to Sam --kind cuddle --json
check "a second bid to sam while the first is open: refused (one at a time), exit 1" test "$RC" -eq 1
check "it says why and how to take the first back" has "$ERR" "your bid to Sam \[${BID:0:8}\] is still open: one at a time"
check "sam sees the bid to her" until_has sam "\[${BID:0:8}\]" status
check "with its kind" has "$OUT" "^  Alex - tonight\? - .*\[${BID:0:8}\]$"
check "and its note" has "$OUT" '^    "come to bed early\?"$'
check "sam's watch printed the bid as it arrived" wait_for_line "$T_DIR/watch.sam" "\"kind\":\"bid\".*\"id\":\"$BID\"|\"id\":\"$BID\".*\"kind\":\"bid\""
check "every watch line is one JSON document" python3 -c '
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip() and not l.startswith("Watching")]
assert lines and all(isinstance(json.loads(l), dict) for l in lines)' "$T_DIR/watch.sam"
as jo status --json
check "jo sees no bid: it was for sam" json "$OUT" 'd["bids_to_me"] == []'
as jo log --json
check "jo's history has no bid of alex's" lacks "$OUT" "$BID"

as sam respond "${BID:0:8}" --not-tonight --reason tired,stressed --offer cuddle --raincheck +2d \
	--note "wiped out from the deadline. hold me instead?"
check "sam answers by the id's first 8 characters" has "$OUT" '^Answered: not tonight \[[0-9a-f]{8}\]$'
check "and is told about the reminder" has "$OUT" '^Rain check .*: attune will remind you then\.$'
check "alex's watch printed the answer in words" wait_for_line "$T_DIR/watch.alex" \
	"Sam answered \[${BID:0:8}\]: not tonight - tired, stressed - would love: cuddle - rain check "
check "alex sees the answer under the bid" until_has alex \
	'^    Sam: not tonight - tired, stressed - would love: cuddle - rain check ' status
check "with sam's note" has "$OUT" '^      "wiped out from the deadline. hold me instead\?"$'
check "and the rain check, given by sam" has "$OUT" "Sam's rain check for you  \[${BID:0:8}\]"
as alex status --json
check "status --json: the answer travels with the bid" json "$OUT" \
	'[a["answer"] for b in d["bids_from_me"] if b["id"] == "'"$BID"'" for a in b["answers"]] == ["not-tonight"]'
check "status --json: alex's rain check is not alex's to keep" json "$OUT" \
	'[(r["who"], r["mine"]) for r in d["rainchecks"]] == [("Sam", False)]'
as sam status --json
check "sam's rain check is hers, for alex" json "$OUT" \
	'[(r["who"], r["mine"]) for r in d["rainchecks"]] == [("Alex", True)]'
check "an answered bid is no longer open for sam" json "$OUT" \
	'"'"$BID"'" not in [b["id"] for b in d["bids_to_me"]]'
as alex bid --to Sam --kind cuddle
check "after sam's not tonight, no new bid to her until her rain check: exit 1" test "$RC" -eq 1
check "it says until when, and why" has "$ERR" 'Sam said not tonight: no new bid to them until .* a bid is an invitation, not a request'
as sam respond "$BID" --yes
check "sam changes her answer: one answer per bid, the new one stands" has "$OUT" '^Changed your answer to: yes \['
check "alex sees which answer stands, and that it changed" until_has alex '^    Sam changed the answer to: yes$' status
as alex status --json
check "status --json: only the standing answer, marked changed" json "$OUT" \
	'[(a["answer"], a.get("changed")) for b in d["bids_from_me"] if b["id"] == "'"$BID"'" for a in b["answers"]] == [("yes", True)]'
check "the replaced answer's rain check is gone" json "$OUT" 'd["rainchecks"] == []'
check "alex's watch says sam changed the answer" wait_for_line "$T_DIR/watch.alex" \
	"Sam changed the answer \[${BID:0:8}\] to: yes"

# A rain check due now becomes a reminder for sam, who gave it.
as alex bid --to Sam --kind walk
BID3=$OUT
check "sam gets the walk bid" until_has sam "\[${BID3:0:8}\]" status
as sam respond "$BID3" --later --raincheck now --offer walk
check "sam answers later, rain check now" test "$RC" -eq 0
check "sam's watch gets the reminder" wait_for_line "$T_DIR/watch.sam" '"kind":"raincheck_due".*"who":"Alex"'
check "a shared plan: alex is reminded too (issue 13)" wait_for_line "$T_DIR/watch.alex" \
	"Sam's rain check for you is due  \\[${BID3:0:8}\\]"
check "sam's status lists it as due" until_has sam "^  due now - your rain check for Alex  \[${BID3:0:8}\]" status

# Retraction: alex takes back a cuddle bid; it leaves sam's status.
as alex bid --to Sam --kind cuddle --json
check "bid --json: {id, queued}" json "$OUT" 'len(d["id"]) == 32 and d["queued"] >= 1'
BID2=$(jval "$OUT" 'd["id"]')
check "sam sees it" until_has sam "\[${BID2:0:8}\]" status
as alex retract "$BID2"
check "alex retracts the second bid" has "$OUT" '^Taken back'
check "it leaves sam's open bids" until_has sam '"bids_to_me": ?\[\]' status --json
as alex retract "$BID2"
check "retracting twice: 'already taken back', exit 1" test "$RC" -eq 1 -a -n "$(printf '%s' "$ERR" | grep 'already taken back')"
as sam respond "${BID2:0:8}" --yes
check "answering a retracted bid: refused, exit 1, saying why" has "$ERR" 'that bid was taken back: there is nothing to answer'
as sam retract "$BID2"
check "sam cannot retract alex's bid" test "$RC" -eq 1

# History and trends.
as alex log --since 30d
check "alex's log has a trend line per person" has "$OUT" '^  Sam +mood +\|'
check "and per scale, for alex and sam" test "$(printf '%s\n' "$OUT" | grep -cE '^ +(desire|capacity) +\|')" -eq 4
check "the answer is in the log, newest first" has "$OUT" "Sam answered \[${BID:0:8}\]: not tonight"
as alex log --json --since 1d
check "log --json: events newest first" json "$OUT" \
	'all(a["ts"] >= b["ts"] for a, b in zip(d["events"], d["events"][1:]))'

# attuned restarts under a running watch: watch says so once, reconnects,
# subscribes again and goes on printing.
kill "$ALEX_PID"; wait "$ALEX_PID" 2>/dev/null
check "alex's watch says once that attuned went away" wait_for_line "$T_DIR/watch.alex" \
	'^attune: attuned went away: reconnecting'
ATTUNE_HOME="$T_DIR/alex" bg_start "$T_DIR/alex.2.log" "$BUILD/attuned"
ALEX_PID=$BG_PID
check "alex's attuned starts again" wait_for_line "$T_DIR/alex.2.log" 'listening on'
check "alex's watch subscribes again" wait_for_line "$T_DIR/watch.alex" '^attune: attuned is back: watching again' 20
check "the watch is still running" kill -0 "$ALEX_WATCH_PID"
check "it said so only once" test "$(grep -c 'attuned went away' "$T_DIR/watch.alex")" -eq 1
as sam checkin --mood 4 --desire 2 --capacity good --note "after the restart"
check "sam checks in after alex's restart" test "$RC" -eq 0
check "alex's watch prints sam's check-in after the restart" wait_for_line "$T_DIR/watch.alex" \
	'^ +"after the restart"$' 20
check "in the same words as before" grep -Eq ' Sam - mood 4/5 - desire 2/5 - capacity good$' "$T_DIR/watch.alex"

# Silent unpair: jo leaves; alex is told nothing, jo keeps nothing of alex.
as jo unpair Alex --yes
check "jo unpairs alex" has "$OUT" '^Unpaired from Alex\.$'
as jo partners --json
check "jo has no partner any more" json "$OUT" 'd["partners"] == []'
as jo status --json
check "jo's status shows nothing of alex" lacks "$OUT" 'Alex'
as jo bid --to Alex
check "jo cannot bid for alex any more" test "$RC" -eq 1
as alex unpair Nobody --yes
check "unpair an unknown name: says where names are" has "$ERR" 'no partner by that name'

kill "$WATCH_PID" 2>/dev/null
done_testing
