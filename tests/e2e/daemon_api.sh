#!/usr/bin/env bash
# attuned's local API against the real daemon: before and after init,
# validation errors, hostile frames, watch pushes, restart, nothing in clear
# on disk, another user refused, bad config, wipe. Uses tests/tools/apic.
. tests/e2e/lib.sh

APIC="$BUILD/tools/apic"
export ATTUNE_HOME="$T_DIR/home"
mkdir -p "$ATTUNE_HOME"
SOCK="$ATTUNE_HOME/attuned.sock"

start_daemon() {
	bg_start "$T_DIR/attuned.$1.log" "$BUILD/attuned"
	DPID=$BG_PID
	wait_for_line "$T_DIR/attuned.$1.log" "listening on"
}
api() { "$APIC" "$@" 2>&1; }
# has OUTPUT FIELD VALUE: the JSON reply has .FIELD == VALUE
has() { [ "$(printf '%s' "$1" | jq -r "$2" 2>/dev/null)" = "$3" ]; }

check "daemon starts before init" start_daemon 1
out=$(api ping); check "ping answers pong" has "$out" .t pong
check "socket is 0600" test "$(stat -c %a "$SOCK")" = 600
check "data folder absent before init" test ! -e "$ATTUNE_HOME/data"
out=$(api status)
check "status before init: not-initialised" has "$out" .code not-initialised
out=$(api checkin mood=3 desire=2 capacity=2)
check "checkin before init: not-initialised" has "$out" .code not-initialised

out=$(api init name=Alex)
check "init answers ok with a device id" has "$out" '.device | test("^[0-9a-f]{16}$")' true
DEV=$(printf '%s' "$out" | jq -r .device)
out=$(api init name=Alex)
check "second init: already-initialised" has "$out" .code already-initialised
check "keys folder 0700" test "$(stat -c %a "$ATTUNE_HOME/data/keys")" = 700
bad=$(find "$ATTUNE_HOME/data/keys" -type f ! -perm 600 | wc -l)
check "every key file 0600" test "$bad" -eq 0 -a "$(ls "$ATTUNE_HOME/data/keys" | wc -l)" -ge 5

NOTE="zebra-lanterns at the harbour"
out=$(api checkin mood=2 desire=1 capacity=3 'tags[]=tired,stressed' 'open_to[]=cuddle,talk' \
	responsive=true note="$NOTE")
check "checkin ok with an event id" has "$out" '.event_id | test("^[0-9a-f]{32}$")' true
CID=$(printf '%s' "$out" | jq -r .event_id)
check "the reply keeps the request id" has "$out" .id 7
out=$(api status)
check "status shows my check-in" has "$out" .me.checkin.id "$CID"
check "status shows mood and tags" has "$out" '[.me.checkin.mood, .me.checkin.tags[1]] | @csv' '2,"stressed"'
check "status names me and my device" has "$out" '.me.name + " " + .me.device' "Alex $DEV"

out=$(api checkin mood=6 desire=1 capacity=3)
check "mood 6: out-of-range" has "$out" .code out-of-range
out=$(api checkin 'tags[]=tired')
check "no level at all: missing-key (rather not say is for some, not all)" has "$out" .code missing-key
long=$(printf 'x%.0s' $(seq 1 281))
out=$(api checkin mood=2 desire=1 capacity=3 note="$long")
check "281-character note: out-of-range" has "$out" .code out-of-range
out=$(api checkin mood=2 desire=1 capacity=3 'to[]=Nobody')
check "unknown partner in to: unknown-partner" has "$out" .code unknown-partner
out=$(api bid kind=tonight)
check "bid without partners: no-partner" has "$out" .code no-partner
out=$(api respond bid:s=00000000000000000000000000000000 answer=yes)
check "respond to an unknown bid: not-found" has "$out" .code not-found
out=$(api nonsense)
check "unknown request: unknown-type" has "$out" .code unknown-type
out=$(api checkin mood=two desire=1 capacity=3)
check "mood as text: wrong-type" has "$out" .code wrong-type

# Hostile frames: an error frame each, and the daemon keeps serving.
out=$(api --raw c1c1c1)
check "garbage frame gets an error" has "$out" .t error
out=$(api --raw 92a17401)
check "array instead of map: not-a-map" has "$out" .code not-a-map
out=$(api --raw 82a174a470696e67a26964cf0000000000000001c0)
check "trailing bytes: trailing-bytes" has "$out" .code trailing-bytes
out=$(api --frame-len 60000)
check "oversized frame: too-big" has "$out" .code too-big
out=$(api ping)
check "still answers after hostile input" has "$out" .t pong

# watch: a subscriber gets the next event as a push.
"$APIC" -n 1 watch >"$T_DIR/watch.out" 2>&1 &
WPID=$!
T_PIDS="$T_PIDS $WPID"
wait_for_line "$T_DIR/watch.out" '"t":"ok"'
out=$(api bid kind=cuddle)   # refused: no partner, so no push from it
out=$(api checkin mood=4 desire=3 capacity=4)
CID2=$(printf '%s' "$out" | jq -r .event_id)
wait_for_line "$T_DIR/watch.out" '"t":"event"'
check "watch pushes the new check-in" grep -q "\"id\":\"$CID2\"" "$T_DIR/watch.out"
out=$(api retract ref="$CID2")
check "retract own check-in" has "$out" .t ok
out=$(api status)
check "status falls back after a retraction" has "$out" .me.checkin.id "$CID"
out=$(api log)
check "log lists newest first" has "$out" '.events | map(.kind) | join(",")' "retract,checkin,checkin"

# A long history comes in pages that each fit in one frame.
long=$(printf 'y%.0s' $(seq 1 250))
for i in $(seq 1 250); do "$APIC" checkin mood=3 desire=2 capacity=2 note="$i $long" >/dev/null; done
out=$(api log)
check "a long log is paged" has "$out" .more true
n1=$(printf '%s' "$out" | jq '.events | length')
next=$(printf '%s' "$out" | jq .next)
check "the first page is full but not everything" test "$n1" -gt 50 -a "$n1" -lt 253 -a "$next" -eq "$n1"
out=$(api log offset=$next)
n2=$(printf '%s' "$out" | jq '.events | length')
while [ "$(printf '%s' "$out" | jq .more)" = true ]; do
	out=$(api log offset=$(printf '%s' "$out" | jq .next))
	n2=$((n2 + $(printf '%s' "$out" | jq '.events | length')))
done
check "the pages add up to the whole history" test $((n1 + n2)) -eq 253
out=$(api export)
check "export is paged too" has "$out" '[.more, .me.name] | @csv' 'true,"Alex"'

# Nothing readable on disk.
check "no note in the data folder" bash -c "! grep -r -q -a 'zebra-lanterns' '$ATTUNE_HOME/data'"
check "no name in the data folder" bash -c "! grep -r -q -a 'Alex' '$ATTUNE_HOME/data'"
check "no tag in the data folder" bash -c "! grep -r -q -a 'stressed' '$ATTUNE_HOME/data'"

# Another user is refused (SO_PEERCRED), even when file modes would let it in.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 711 "$ATTUNE_HOME" && chmod 666 "$SOCK"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$APIC" -s "$SOCK" ping 2>&1)
	check "another uid gets no answer" bash -c "! printf %s \"$out\" | grep -q pong"
	check "daemon logs the refusal" grep -q "refused a local connection from another user" "$T_DIR/attuned.1.log"
	chmod 700 "$ATTUNE_HOME" && chmod 600 "$SOCK"
else
	skip "another uid gets no answer" "needs root and setpriv"
fi

# Restart keeps everything.
LAST=$(api status | jq -r .me.checkin.id)
kill "$DPID"; wait "$DPID" 2>/dev/null
check "socket removed at exit" test ! -e "$SOCK"
check "daemon restarts" start_daemon 2
out=$(api status)
check "history survives a restart" has "$out" .me.checkin.id "$LAST"

# systemd: READY=1 once listening, WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM.
kill "$DPID"; wait "$DPID" 2>/dev/null
NS="$T_DIR/notify.sock"
bg_start "$T_DIR/notify.out" "$BUILD/tools/notifysock" "$NS" 20
NPID=$BG_PID
wait_for_line "$T_DIR/notify.out" '^listening'
NOTIFY_SOCKET="$NS" WATCHDOG_USEC=200000 bg_start "$T_DIR/attuned.sd.log" "$BUILD/attuned"
DPID=$BG_PID
check "sd_notify READY=1" wait_for_line "$T_DIR/notify.out" '^READY=1'
check "watchdog pings" wait_for_line "$T_DIR/notify.out" '^WATCHDOG=1'
kill "$DPID"; wait "$DPID" 2>/dev/null
check "sd_notify STOPPING=1 on SIGTERM" wait_for_line "$T_DIR/notify.out" '^STOPPING=1'
wait "$NPID" 2>/dev/null

# Socket activation: systemd holds the socket and hands it over.
if command -v systemd-socket-activate >/dev/null; then
	bg_start "$T_DIR/activate.log" systemd-socket-activate -E ATTUNE_HOME -l "$SOCK" "$BUILD/attuned"
	APID=$BG_PID
	wait_for_line "$T_DIR/activate.log" "Listening on" 5
	out=$(api status)
	check "socket activation: the first client is answered" has "$out" .me.name Alex
	check "socket activation: attuned took the socket" grep -q "listening on" "$T_DIR/activate.log"
	kill "$APID"; wait "$APID" 2>/dev/null
	rm -f "$SOCK"
else
	skip "socket activation" "needs systemd-socket-activate"
fi

# A bad config line stops the start with file, line and reason.
printf '[notifications]\nmode = loud\n' >"$ATTUNE_HOME/attuned.conf"
"$BUILD/attuned" >"$T_DIR/badconf.log" 2>&1
rc=$?
check "bad config: exit status non-zero" test "$rc" -ne 0
check "bad config: file, line and reason" grep -q "attuned.conf:2: notifications mode \"loud\"" "$T_DIR/badconf.log"
rm -f "$ATTUNE_HOME/attuned.conf"

# A key file others can read stops the start, with a hint.
chmod 644 "$ATTUNE_HOME/data/keys/storage.key"
"$BUILD/attuned" >"$T_DIR/loosekey.log" 2>&1
rc=$?
check "loose key file: exit status non-zero" test "$rc" -ne 0
check "loose key file: says what to do" grep -q "chmod 600" "$T_DIR/loosekey.log"
chmod 600 "$ATTUNE_HOME/data/keys/storage.key"

# Retention: old events go at start, and the WAL is checkpointed and truncated.
printf '[history]\nretention = 1s\n' >"$ATTUNE_HOME/attuned.conf"
sleep 2.1   # every event is now more than a whole second old
check "daemon restarts with retention = 1s" start_daemon 3
out=$(api log)
check "retention deleted the old events" has "$out" '.events | length' 0
check "retention truncated the WAL" test "$(stat -c %s "$ATTUNE_HOME/data/store.db-wal")" -eq 0
rm -f "$ATTUNE_HOME/attuned.conf"

# A passphrase locks the history at start (Argon2id-wrapped storage key).
api checkin mood=3 desire=3 capacity=3 note="behind the lock" >/dev/null
KEY0=$(sha256sum <"$ATTUNE_HOME/data/keys/storage.key")
out=$(api passphrase passphrase="correct horse")
check "set a passphrase" has "$out" .locked_at_start true
check "storage.key is rewritten wrapped" test "$(stat -c %s "$ATTUNE_HOME/data/keys/storage.key")" -gt 32
kill "$DPID"; wait "$DPID" 2>/dev/null
check "daemon restarts locked" start_daemon 5
check "the log says it is locked" grep -q "locked" "$T_DIR/attuned.5.log"
out=$(api status)
check "locked: status says so" has "$out" .code locked
out=$(api unlock passphrase="wrong horse")
check "wrong passphrase refused" has "$out" .code wrong-passphrase
out=$(api unlock passphrase="correct horse")
check "right passphrase unlocks" has "$out" .t ok
out=$(api status)
check "unlocked: history is back" has "$out" .me.checkin.note "behind the lock"
out=$(api passphrase)
check "removing it without the current one: refused" has "$out" .code wrong-passphrase
out=$(api passphrase current="wrong horse")
check "... or with a wrong one" has "$out" .code wrong-passphrase
out=$(api passphrase current="correct horse")
check "remove the passphrase" has "$out" .locked_at_start false
check "storage.key is the plain key again" test "$(sha256sum <"$ATTUNE_HOME/data/keys/storage.key")" = "$KEY0"
out=$(api passphrase passphrase="again")
kill "$DPID"; wait "$DPID" 2>/dev/null
check "daemon restarts locked again" start_daemon 6

# wipe (here while locked): keys first, then files; the daemon exits.
out=$(api wipe)
check "wipe without confirm: not-allowed" has "$out" .code not-allowed
out=$(api wipe confirm=true)
check "wipe answers ok" has "$out" .t ok
for i in $(seq 1 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
check "daemon exited after wipe" bash -c "! kill -0 $DPID 2>/dev/null"
check "no data folder left" test ! -e "$ATTUNE_HOME/data"
check "daemon starts fresh after wipe" start_daemon 4
out=$(api status)
check "after wipe: not-initialised" has "$out" .code not-initialised

done_testing
