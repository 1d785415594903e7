#!/usr/bin/env bash
# Sparks and wishes on a real relay and two real daemons (issue 14): both see
# only the items both said yes to, and nothing of a lone yes reaches the
# partner's log, export or status; a lone spark leaves no trace and looks on
# the relay like a check-in; two sparks are told to both, exactly once; a
# round whose partner is away is abandoned cleanly on both sides, and one
# whose relay goes away completes when it comes back; the daily limit holds.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

# One spark period per second, short round time-outs, fast reconnects.
export ATTUNE_SPARK_PERIOD_MS=1000 ATTUNE_ROUND_TIMEOUT_MS=6000 ATTUNE_WISHES_INTERVAL=8
export ATTUNE_BACKOFF_MAX_MS=300

jval() { printf '%s' "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }

check "relay starts" cli_relay_start
RELAY_PID=$BG_PID
cli_daemon_start alex; ALEX_PID=$BG_PID
cli_daemon_start sam; SAM_PID=$BG_PID
as alex init --name Alex --relay "$RELAY" --invite "$INVITE"
as sam init --name Sam --relay "$RELAY" --invite "$INVITE"
check "alex invites" invite_start alex pair
as sam pair "$CODE"
check "sam pairs with alex" test "$RC" -eq 0
invite_wait >/dev/null

# ---- wishes ----
as alex wishes set cuddle yes; check "alex: cuddle yes" test "$RC" -eq 0
as alex wishes set Massage yes
check "an item by its label, any case" has "$OUT" '^massage: yes'
as sam wishes set massage yes
as sam wishes set cuddle no
as alex wishes set "Foot-Rub!" yes
check "custom words that are a catalogue item become that item" has "$OUT" '^foot-rub: yes'
as alex wishes set "read to me" yes
check "a custom item is normalised" has "$OUT" '^read to me: yes'
as sam wishes set "  Read To Me. " yes
as alex wishes --json
check "wishes --json lists the catalogue (>= 50) with answers" \
	json "$OUT" 'len(d["items"]) >= 50 and {i["id"]: i["answer"] for i in d["items"]}["cuddle"] == "yes" and d["custom"] == [{"text": "read to me", "answer": "yes"}]'
as alex wishes set cuddle often
check "a wrong answer is a usage error" test "$RC" -eq 2

as alex wishes compare Sam --json
check "compare completes" test "$RC" -eq 0
check "alex sees only what both said yes to" json "$OUT" 'd["both"] == ["massage", "read to me"] and d["maybe"] == []'
as sam wishes --json
check "sam sees the same result" json "$OUT" 'd["compared"][0]["name"] == "Alex" and d["compared"][0]["both"] == ["massage", "read to me"]'
for what in "log --json" "export" "status --json"; do
	as sam $what
	check "nothing of alex's lone cuddle in sam's $what" lacks "$OUT" 'cuddle|foot'
done
as alex wishes compare Sam
check "a second round the same day is refused" test "$RC" -eq 1
check "the refusal says why" has "$ERR" 'one wishes round per partner per day'

# ---- a lone spark ----
as alex spark --to Sam --json
check "spark --json prints id and until" json "$OUT" 'len(d["id"]) == 32 and d["until"] > 0'
sleep 3.5
as sam log --json
check "a lone spark: nothing in sam's log" lacks "$OUT" 'spark'
as sam export
check "a lone spark: nothing in sam's export" lacks "$OUT" 'spark'
as alex log --json
check "no match for alex either" lacks "$OUT" 'spark-match'
as alex spark --cancel Sam --json
check "a spark can be withdrawn" json "$OUT" 'd["cancelled"] == True'
as alex spark --to Nobody
check "a spark for someone who is not a partner: exit 1" test "$RC" -eq 1
check "and the daemon's reason is shown" has "$ERR" 'no partner by that name'
as alex spark --cancel Nobody
check "cancelling for someone who is not a partner: exit 1, with the reason" test "$RC" -eq 1

# ---- both spark: both told, once ----
# Both watch: the match arrives as a push, in JSON and in words.
ATTUNE_HOME="$T_DIR/sam" bg_start "$T_DIR/watch.sam" "$ATTUNE" watch --json
WATCH_SAM=$BG_PID
ATTUNE_HOME="$T_DIR/alex" bg_start "$T_DIR/watch.alex" "$ATTUNE" watch
WATCH_ALEX=$BG_PID
sleep 0.5
as alex spark --to Sam --for 30m
as sam spark --to Alex
check "sam sparks" test "$RC" -eq 0
until_has alex 'spark-match' log --json
check "alex is told" test $? -eq 0
until_has sam 'spark-match' log --json
check "sam is told" test $? -eq 0
sleep 3
as alex log --json
check "alex: exactly one spark-match, naming sam" json "$OUT" \
	'[e.get("name") for e in d["events"] if e.get("type") == "spark-match"] == ["Sam"]'
as sam log --json
check "sam: exactly one spark-match, naming alex" json "$OUT" \
	'[e.get("name") for e in d["events"] if e.get("type") == "spark-match"] == ["Alex"]'
check "sam's watch got the match once, as JSON" test "$(grep -c '"type":"spark-match"' "$T_DIR/watch.sam")" -eq 1
check "alex's watch says it in words, once" test "$(grep -c 'You and Sam are both in the mood' "$T_DIR/watch.alex")" -eq 1
as alex status
check "alex's status shows it" has "$OUT" "You're both in the mood"
as sam status --json
check "sam's status --json has the time of the match" json "$OUT" 'd["partners"][0]["spark_match"] > 0'
kill "$WATCH_SAM" "$WATCH_ALEX" 2>/dev/null

# ---- what the relay sees: with the partner's daemon away, spark rounds and a
# check-in wait in its mailbox; every envelope has the same size ----
AK=$(ATTUNE_HOME="$T_DIR/alex" "$ATTUNE" export | python3 -c 'import json,sys; print(json.load(sys.stdin)["me"]["person_key"])')
SK=$(ATTUNE_HOME="$T_DIR/sam" "$ATTUNE" export | python3 -c 'import json,sys; print(json.load(sys.stdin)["me"]["person_key"])')
# The partner with the smaller person key starts each period's round.
if [[ "$AK" < "$SK" ]]; then LEAD=alex; AWAY=sam; AWAY_PID=$SAM_PID; else LEAD=sam; AWAY=alex; AWAY_PID=$ALEX_PID; fi
kill "$AWAY_PID"; wait "$AWAY_PID" 2>/dev/null
as $LEAD checkin --mood 3 --desire 2 --capacity 2
as $LEAD spark --to "$( [ $AWAY = sam ] && echo Sam || echo Alex)"
sleep 3.5
SIZES=$(sqlite3 "$T_DIR/relay/relay.db" 'SELECT length(env) FROM mailbox' 2>/dev/null | sort | uniq -c)
check "the away side's mailbox holds envelopes" test -n "$SIZES"
check "check-ins and spark rounds look alike on the relay: one size" test "$(printf '%s\n' "$SIZES" | wc -l)" -eq 1
echo "# envelope sizes in the mailbox (count size): $SIZES"

# ---- a round whose partner is away: abandoned cleanly on both sides ----
sleep 5   # the daily limit of the test (8 s) passes
as $LEAD wishes compare "$( [ $AWAY = sam ] && echo Sam || echo Alex)"
check "with the partner away, the round is abandoned" test "$RC" -eq 1
check "and the person is told so" has "$ERR" 'abandoned|timed out'
cli_daemon_start $AWAY
[ $AWAY = sam ] && SAM_PID=$BG_PID || ALEX_PID=$BG_PID
sleep 8   # the away side answers the stale round, then abandons it too
as $AWAY wishes --json
check "the away side kept no result of the abandoned round" json "$OUT" \
	'all(c["both"] == ["massage", "read to me"] for c in d["compared"])'
check "the away side logged the abandoned round without content" \
	has "$(cat "$T_DIR/$AWAY.log")" 'wishes round was abandoned'
lacks "$(cat "$T_DIR/$AWAY.log" "$T_DIR/$LEAD.log")" 'cuddle|massage|read to me'
check "no daemon log holds an item" test $? -eq 0

# ---- the relay goes away mid-round: the round completes when it is back ----
sleep 8
PORT=${RELAY#attune://127.0.0.1:}; PORT=${PORT%%/*}
kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
ATTUNE_HOME="$T_DIR/alex" "$ATTUNE" wishes compare Sam --json >"$T_DIR/cmp.out" 2>"$T_DIR/cmp.err" &
CMP=$!
sleep 1
bg_start "$T_DIR/relay2.log" "$BUILD/attune-relay" --listen "127.0.0.1:$PORT" --data "$T_DIR/relay" \
	--config "$T_DIR/relay.conf"
wait "$CMP"; crc=$?
check "the round completes once the relay is back" test "$crc" -eq 0
check "with the same result" json "$(cat "$T_DIR/cmp.out")" 'd["both"] == ["massage", "read to me"]'

done_testing
