#!/bin/bash
# attune-relay durability: kill -9 the relay at random moments while several
# clients put envelopes as fast as the relay acknowledges them; after each
# restart every acknowledged put must be delivered, and nothing that was
# delivered and acknowledged before comes back. SOAK=1 runs a longer version;
# SEED=N replays the random moments of an earlier run.
. tests/e2e/lib.sh
. tests/e2e/relay_common.inc
LOADGEN=$BUILD/tools/loadgen

if [ -n "${SOAK:-}" ]; then ROUNDS=${ROUNDS:-100}; PAIRS=8; else ROUNDS=${ROUNDS:-20}; PAIRS=4; fi
SEED=${SEED:-$$}
RANDOM=$SEED
echo "# seed $SEED (SEED=$SEED replays these kill moments), $ROUNDS rounds, $PAIRS senders"

CFG='[limits]
connections_per_address = 1000
handshake_rate = 100000
handshake_burst = 100000
put_rate = 10000000
put_burst = 10000000
register_burst = 100000
[storage]
mailbox_envelopes = 10000000
mailbox_bytes = 4G'

relay_start d "$CFG" || { ok 1 "relay starts"; done_testing; }
TOK=$(invite --uses 1000)
"$LOADGEN" --invite "$TOK" --pairs "$PAIRS" "$ADDR" register >"$T_DIR/register.out" 2>&1
check "$((PAIRS * 2)) load devices registered" grep -q "^registered=$((PAIRS * 2))$" "$T_DIR/register.out"

# restart ROUND: the same data folder (so the same key), a fresh log. A free
# port each time (the old one may be taken meanwhile); ADDR follows it.
restart() {
	RELAY_LOG=$T_DIR/d.$1.log
	bg_start "$RELAY_LOG" "$RELAY" --listen 127.0.0.1:0 --data "$RELAY_DATA" \
		--config "$T_DIR/d.ini"
	RELAY_PID=$BG_PID
	wait_for_line "$RELAY_LOG" '^address: attune://' 10 || return 1
	ADDR=$(sed -n 's/^address: //p' "$RELAY_LOG" | head -1)
}

total=0 lost_total=0 back_total=0 killed=0 live_total=0 part_total=0
for r in $(seq 1 "$ROUNDS"); do
	# Even rounds: recipients connected too, taking deliveries and acknowledging them.
	# Every third round: puts of 8 envelopes each (all or none of a put is stored).
	live="" batch=1 what=""
	[ $((r % 2)) -eq 0 ] && live=--live what=" (live recipients)"
	[ $((r % 3)) -eq 0 ] && batch=8 what="$what (8 per put)"
	"$LOADGEN" --pairs "$PAIRS" --round "$r" --batch $batch --print $live "$ADDR" put \
		>"$T_DIR/load.$r" 2>"$T_DIR/put.$r.err" &
	lpid=$!
	# A random moment 50..700 ms into the load.
	sleep "0.$(printf '%03d' $((50 + RANDOM % 650)))"
	kill -9 "$RELAY_PID" 2>/dev/null && killed=$((killed + 1))
	wait "$RELAY_PID" 2>/dev/null
	wait "$lpid"
	if ! restart "$r"; then
		ok 1 "round $r: relay restarts after kill -9"
		break
	fi
	"$LOADGEN" --pairs "$PAIRS" --idle 300 "$ADDR" drain >"$T_DIR/got.$r" 2>"$T_DIR/drain.$r.err"
	grep -v '^d ' "$T_DIR/load.$r" >"$T_DIR/acked.$r"
	# Delivered: live during the load (then acknowledged), or in the drain after the restart.
	sed -n 's/^d //p' "$T_DIR/load.$r" >>"$T_DIR/got.$r"
	live_n=$(grep -c '^d ' "$T_DIR/load.$r")
	live_total=$((live_total + live_n))
	acked=$(sort -u "$T_DIR/acked.$r" | wc -l)
	lost=$(comm -23 <(sort -u "$T_DIR/acked.$r") <(sort -u "$T_DIR/got.$r") | wc -l)
	# Anything from an earlier round was delivered and acknowledged then.
	back=$(grep -cv "^s[0-9]*-$r-[0-9]*$" "$T_DIR/got.$r")
	# A put of 8 is stored whole or not at all: delivered tags come in whole groups.
	if [ "$batch" -gt 1 ]; then
		part=$(sort -u "$T_DIR/got.$r" | awk -F- '{ n[$1 "-" int($3 / 8)]++ }
			END { for (k in n) if (n[k] != 8) p++; print p + 0 }')
		part_total=$((part_total + part))
	fi
	total=$((total + acked)); lost_total=$((lost_total + lost)); back_total=$((back_total + back))
	[ "$lost" -eq 0 ] && [ "$back" -eq 0 ]
	ok $? "round $r$what: all $acked acknowledged envelopes delivered after kill -9 ($lost lost, $back came back)"
	if [ "$lost" -ne 0 ]; then
		comm -23 <(sort -u "$T_DIR/acked.$r") <(sort -u "$T_DIR/got.$r") | head -5 | sed 's/^/#   lost: /'
	fi
done
check "relay killed with -9 at $killed random moments during the load" \
	test "$killed" -ge "$ROUNDS"
check "thousands of envelopes acknowledged across the kills ($total)" test "$total" -ge 1000
check "every acknowledged put delivered after each restart ($lost_total lost)" \
	test "$lost_total" -eq 0
check "no acknowledged delivery came back ($back_total)" test "$back_total" -eq 0
check "batched puts stored whole or not at all ($part_total partial)" test "$part_total" -eq 0
check "live recipients took deliveries during the load ($live_total)" test "$live_total" -gt 0
out=$(rc d1 ping)
check "relay still serves after the last restart" has "$out" '^pong$'
kill -TERM "$RELAY_PID"
wait "$RELAY_PID"
check "the last relay stops cleanly on SIGTERM" test $? -eq 0
check "no sanitizer report from the relay or the load generator" \
	bash -c "! cat '$T_DIR'/*.log '$T_DIR'/*.err | grep -q 'Sanitizer\|runtime error'"
done_testing
