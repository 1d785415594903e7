#!/bin/bash
# A relay of two nodes over one PostgreSQL database (a real PostgreSQL 15
# cluster this test starts in a private folder). Alex's daemon uses node 1,
# Sam's node 2 (each lists both nodes, its own first): pairing, check-ins and
# bids cross between the nodes. Then node 1 is killed with -9 while Alex sends
# 1,000 check-ins: Alex carries on through node 2 and Sam sees every one of
# them exactly once. Last, PostgreSQL is stopped for 5 s under load: clients
# get the retryable storage error, no acknowledged envelope is lost, and the
# node recovers without a restart.
. tests/e2e/lib.sh
. tests/e2e/sync_helpers.bash
. tests/e2e/pg.inc
LOADGEN=$BUILD/tools/loadgen
RELAYBIN=$BUILD/attune-relay

if ! pg_available; then
	skip "a relay of two nodes over PostgreSQL" "PostgreSQL 15 is not installed (scripts/deps.sh)"
	done_testing
fi
pg_start || { ok 1 "a PostgreSQL cluster starts"; done_testing; }
trap 'pg_cleanup; t_cleanup' EXIT
URL=$(pg_newdb)

has_line() {
	printf '%s\n' "$1" | grep -Eq "$2" && return 0
	printf '%s\n' "$1" | head -5 | sed 's/^/#   got: /' >&2
	return 1
}

out=$("$RELAYBIN" migrate --store "$URL" 2>&1)
check "migrate creates the schema ahead of the nodes" has_line "$out" '^postgresql schema version 1: up to date$'

printf '[storage]\nurl = %s\n[limits]\nhandshake_rate = 1000\nhandshake_burst = 1000\nregister_burst = 1000\nconnections_per_address = 1000\nput_rate = 10000000\nput_burst = 10000000\n[storage]\nmailbox_envelopes = 10000000\nmailbox_bytes = 4G\n[nameplates]\nrate = 100\nburst = 100\nper_address = 100\n[invites]\ndevice_invites = yes\n[relay]\nstats_interval = 1s\n' \
	"$URL" >"$T_DIR/node.ini"

# node_start N: node N with data in $T_DIR/nN on a free port; NODE_PID_N, PORT_N.
node_start() {
	local n=$1 log="$T_DIR/n$1.$RANDOM.log"
	mkdir -p "$T_DIR/n$n"
	bg_start "$log" "$RELAYBIN" --listen 127.0.0.1:0 --data "$T_DIR/n$n" --config "$T_DIR/node.ini"
	eval "NODE_PID_$n=$BG_PID NODE_LOG_$n=$log"
	wait_for_line "$log" '^address: attune://' 10 || return 1
	eval "PORT_$n=$(grep -m1 -o 'attune://[^ ]*' "$log" | sed -E 's|attune://127\.0\.0\.1:([0-9]+)/.*|\1|')"
	eval "ADDR_$n=$(grep -m1 -o 'attune://[^ ]*' "$log")"
}

node_start 1
ok $? "node 1 starts on PostgreSQL"
# Every node of one relay shares its key, hence its address (docs/OPERATIONS.md).
mkdir -p "$T_DIR/n2" && install -m 0600 "$T_DIR/n1/relay.key" "$T_DIR/n2/relay.key"
node_start 2
ok $? "node 2 starts with node 1's key"
KEY=${ADDR_1##*/}
check "both nodes have one key" test "${ADDR_2##*/}" = "$KEY"
A_ADDR="attune://127.0.0.1:$PORT_1,127.0.0.1:$PORT_2/$KEY"
S_ADDR="attune://127.0.0.1:$PORT_2,127.0.0.1:$PORT_1/$KEY"

# node_conns N: connections node N holds now (its stats, written each second).
node_conns() {
	awk '$1 == "connections" { print $2 }' "$T_DIR/n$1/stats" 2>/dev/null
}

daemon_start alex && daemon_start sam
ok $? "two daemons start"
api alex init name=Alex relay="$A_ADDR" invite="$("$RELAYBIN" invite --data "$T_DIR/n1" --config "$T_DIR/node.ini")" >/dev/null &&
	api sam init name=Sam relay="$S_ADDR" >/dev/null
ok $? "Alex lists node 1 first, Sam node 2 (one address, two nodes)"
check "Alex registers (on node 1)" wait_until 10 connected alex

pair_start pair alex
api sam -n 1 pair code="$LINK" | tail -n 1 >"$T_DIR/join-sam.out"
pair_wait "pair-alex.out" | grep -q '"t":"paired"' && grep -q '"t":"paired"' "$T_DIR/join-sam.out"
ok $? "Alex and Sam pair (the link carries both nodes)"
check "Sam, invited through the pairing, registers (on node 2)" wait_until 10 connected sam
sleep 1.5
check "node 1 holds Alex's connection, node 2 Sam's" \
	test "$(node_conns 1) $(node_conns 2)" = "1 1"

checkin alex "from node one" >/dev/null
check "Sam on node 2 gets Alex's check-in from node 1" wait_until 10 has_note sam "from node one"
checkin sam "from node two" >/dev/null
check "Alex on node 1 gets Sam's check-in from node 2" wait_until 10 has_note alex "from node two"
BID=$(api alex bid kind=tonight 'to[]=Sam' note="dinner then us?" | grep -o '"event_id":"[^"]*"' | cut -d'"' -f4)
check "Sam sees Alex's bid across the nodes" wait_until 10 \
	bash -c "ATTUNE_HOME='$T_DIR/sam' '$APIC' status | grep -q '\"id\":\"$BID\"'"
api sam respond bid="$BID" answer=yes >/dev/null
check "Alex sees Sam's yes across the nodes" wait_until 10 \
	bash -c "ATTUNE_HOME='$T_DIR/alex' '$APIC' status | grep -q '\"answer\":\"yes\"'"

# kill -9 node 1 while Alex sends 1,000 check-ins. Each check-in the daemon
# accepted is in its outbox; it must reach Sam exactly once.
for i in $(seq 1 1000); do
	api alex checkin mood=3 desire=2 capacity=4 note="k$i" >/dev/null || echo "refused $i"
	[ "$i" = 150 ] && kill -9 "$NODE_PID_1"
done >"$T_DIR/sends.out" 2>&1
check "Alex's daemon accepted all 1,000 check-ins" bash -c "! grep -q refused '$T_DIR/sends.out'"
check "node 1 is gone" bash -c "! kill -0 $NODE_PID_1 2>/dev/null"
# k_notes: the kN notes of Sam's whole log (it comes in pages).
k_notes() {
	local off=0 out
	while :; do
		out=$(api sam log offset="$off")
		printf '%s\n' "$out" | grep -o '"note":"k[0-9]*"'
		printf '%s' "$out" | grep -q '"more":true' || break
		off=$(printf '%s' "$out" | grep -o '"next":[0-9]*' | cut -d: -f2)
	done
}
# got: how many distinct kN notes Sam has.
got() {
	k_notes | sort -u | wc -l
}
all_arrived() {
	test "$(got)" -eq 1000
}
check "Sam sees all 1,000 (Alex moved to node 2)" wait_until 150 all_arrived
echo "# Sam has $(got) of 1000; Alex's outbox: $(api alex status | grep -o '"outbox":[0-9]*')"
dups=$(k_notes | sort | uniq -d | wc -l)
check "each exactly once as Sam sees it ($dups twice)" test "$dups" -eq 0
check "Alex is connected again (to node 2)" wait_until 10 connected alex
sleep 1.5
check "node 2 now holds both connections" test "$(node_conns 2)" = 2

# PostgreSQL stopped for 5 s under load on node 2.
TOK=$("$RELAYBIN" invite --data "$T_DIR/n2" --config "$T_DIR/node.ini" --uses 100)
"$LOADGEN" --invite "$TOK" --pairs 4 --seed 7 "attune://127.0.0.1:$PORT_2/$KEY" register \
	>"$T_DIR/reg.out" 2>&1
check "load devices registered on node 2" grep -q '^registered=8$' "$T_DIR/reg.out"
"$LOADGEN" --pairs 4 --seed 7 --round 1 --print --secs 9 "attune://127.0.0.1:$PORT_2/$KEY" put \
	>"$T_DIR/load.out" 2>"$T_DIR/load.err" &
lpid=$!
sleep 2
pg_stop_server fast
ok $? "PostgreSQL stops under load"
sleep 5
ups=$(grep -c 'event=store_up backend=' "$NODE_LOG_2")
pg_ctl_start
ok $? "PostgreSQL starts again"
wait "$lpid"
check "node 2 reconnects by itself" wait_until 10 \
	bash -c "test \$(grep -c 'event=store_up backend=' '$NODE_LOG_2') -gt $ups"
check "clients were told 'storage' (retryable) meanwhile" grep -q 'code=storage' "$T_DIR/load.err"
check "node 2 kept running (no restart)" kill -0 "$NODE_PID_2"
check "node 2 logged the outage and the recovery" \
	bash -c "grep -q 'event=store_down' '$NODE_LOG_2' && grep -q 'event=store_up' '$NODE_LOG_2'"
"$LOADGEN" --pairs 4 --seed 7 --idle 1000 "attune://127.0.0.1:$PORT_2/$KEY" drain >"$T_DIR/got.out" \
	2>"$T_DIR/drain.err"
acked=$(sort -u "$T_DIR/load.out" | wc -l)
lost=$(comm -23 <(sort -u "$T_DIR/load.out") <(sort -u "$T_DIR/got.out") | wc -l)
echo "# $acked acknowledged around the outage, $lost lost"
check "puts were acknowledged before and after the outage ($acked)" test "$acked" -gt 100
check "no acknowledged envelope lost ($lost)" test "$lost" -eq 0
checkin alex "after the outage" >/dev/null
check "the daemons carry on after the outage" wait_until 60 has_note sam "after the outage"

kill -TERM "$NODE_PID_2"
wait "$NODE_PID_2"
check "node 2 stops cleanly on SIGTERM" test $? -eq 0
check "no sanitizer report from the nodes" \
	bash -c "! cat '$T_DIR'/n*.log | grep -q 'Sanitizer\|runtime error'"
done_testing
