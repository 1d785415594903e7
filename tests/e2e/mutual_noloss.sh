#!/usr/bin/env bash
# Regression: a daemon that answers a partner's round must not reuse ratchet
# message keys. attuned used to send its answer from inside the inbox's
# delivery transaction; the inbox then saved the session it held open over
# the one the send had advanced, so the next answer on the same incoming
# chain went out under the same message numbers (the same keys), and the
# partner refused those envelopes as replays. Here one side answers three
# queued rounds in a row while the partner is away, and every envelope
# waiting in the partner's mailbox must carry a ratchet header of its own.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

export ATTUNE_SPARK_PERIOD_MS=600000 ATTUNE_ROUND_TIMEOUT_MS=1500 ATTUNE_WISHES_INTERVAL=0
export ATTUNE_BACKOFF_MAX_MS=300

check "relay starts" cli_relay_start
cli_daemon_start a; A_PID=$BG_PID
cli_daemon_start b; B_PID=$BG_PID
as a init --name Ann --relay "$RELAY" --invite "$INVITE"
as b init --name Bo --relay "$RELAY" --invite "$INVITE"
check "ann invites" invite_start a pair
as b pair "$CODE"
check "bo pairs with ann" test "$RC" -eq 0
invite_wait >/dev/null
as a wishes set massage yes
as b wishes set massage yes
as a wishes compare Bo --json
check "a first round completes" json "$OUT" 'd["both"] == ["massage"]'

# Bo goes away; Ann starts three rounds (each abandoned after 1.5 s): the
# COMMITs wait in Bo's mailbox.
kill "$B_PID"; wait "$B_PID" 2>/dev/null
as a wishes compare Bo
check "round 2 is abandoned while bo is away" test "$RC" -eq 1
as a wishes compare Bo
check "round 3 is abandoned while bo is away" test "$RC" -eq 1
as a wishes compare Bo
check "round 4 is abandoned while bo is away" test "$RC" -eq 1
# Ann goes away; Bo comes back and answers the three rounds into Ann's mailbox.
kill "$A_PID"; wait "$A_PID" 2>/dev/null
BDEV=$(sqlite3 "$T_DIR/relay/relay.db" 'SELECT DISTINCT hex(dst) FROM mailbox')
cli_daemon_start b
i=0
while [ $i -lt 100 ]; do
	n=$(sqlite3 "$T_DIR/relay/relay.db" "SELECT count(*) FROM mailbox WHERE hex(dst) != '$BDEV'")
	[ "${n:-0}" -ge 96 ] && break
	sleep 0.1; i=$((i + 1))
done
check "bo answered the three rounds (96 envelopes wait for ann)" test "${n:-0}" -ge 96
# Each envelope: version, type, [X3DH header (73) for type 1], then the ratchet
# header (40: ratchet key, previous chain length, message number).
DUPS=$(sqlite3 "$T_DIR/relay/relay.db" "SELECT hex(env) FROM mailbox WHERE hex(dst) != '$BDEV'" |
	python3 -c '
import sys, collections
hdrs = []
for line in sys.stdin:
	env = bytes.fromhex(line.strip())
	off = 2 + (73 if env[1] == 1 else 0)
	hdrs.append(env[off:off + 40])
print(sum(c - 1 for c in collections.Counter(hdrs).values()))')
check "no two envelopes share a ratchet header (no message key used twice)" test "$DUPS" = 0
SIZES=$(sqlite3 "$T_DIR/relay/relay.db" "SELECT DISTINCT length(env) FROM mailbox WHERE hex(dst) != '$BDEV'")
check "every fragment (COMMIT, REVEAL) travels in a check-in-sized envelope (314 B)" test "$SIZES" = 314

done_testing
