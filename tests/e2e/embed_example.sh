#!/usr/bin/env bash
# examples/embed.c, the in-process host, against the real programs: a relay
# and Sam's attuned on 127.0.0.1. The example (no daemon, no socket) sets
# Alex up, pairs with Sam's code, receives Sam's check-in through the push
# callback; then, while it is not running, Sam checks in again, and
# `embed sync` (attune_core_sync_once) fetches it.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

EMBED="$BUILD/examples/embed"
check "relay starts" cli_relay_start
cli_daemon_start sam
as sam init --name Sam --relay "$RELAY" --invite "$INVITE"
check "sam sets up" test "$RC" -eq 0
check "sam shows a pairing code" invite_start sam pair
"$EMBED" pair "$T_DIR/alex" "$RELAY" "$INVITE" "$CODE" >"$T_DIR/embed.out" 2>"$T_DIR/embed.err" &
EMBED_PID=$!
T_PIDS="$T_PIDS $EMBED_PID"
check "the embedded core pairs with sam" wait_for_line "$T_DIR/embed.out" '^paired with Sam$'
invite_wait; rc=$?
check "sam's side of the pairing finishes" test "$rc" -eq 0
check "sam sees alex as a partner" until_has sam '^Alex' partners
as sam checkin --mood 4 --desire 3 --capacity 3 --note "home soon"
check "sam checks in" test "$RC" -eq 0
wait "$EMBED_PID"; rc=$?
check "the example ends well" test "$rc" -eq 0
check "the check-in came through the push callback" has "$(cat "$T_DIR/embed.out")" \
	'^check-in from Sam: mood 4, "home soon"$'
check "the core's data folder has keys and a store" test -f "$T_DIR/alex/store.db"
check "no socket anywhere for the embedded core" test -z "$(find "$T_DIR/alex" -type s)"

# The app is not running: what Sam writes waits at the relay.
as sam checkin --mood 2 --desire 1 --capacity 2 --note "while you were away"
check "sam checks in again" test "$RC" -eq 0
check "it leaves sam's outbox" until_has sam "\"outbox\": *0[,}]" status --json
"$EMBED" sync "$T_DIR/alex" >"$T_DIR/sync.out" 2>"$T_DIR/sync.err"; rc=$?
check "embed sync runs" test "$rc" -eq 0
OUT=$(cat "$T_DIR/sync.out")
check "sync_once fetched at least one envelope" has "$OUT" '^fetched [1-9][0-9]* envelope\(s\)$'
check "and pushed the check-in written meanwhile" has "$OUT" \
	'^check-in from Sam: mood 2, "while you were away"$'
"$EMBED" sync "$T_DIR/alex" >"$T_DIR/sync2.out" 2>&1; rc=$?
check "a second sync finds nothing new" has "$(cat "$T_DIR/sync2.out")" '^fetched 0 envelope\(s\)$'
"$EMBED" sync "$T_DIR/nobody" >"$T_DIR/sync3.out" 2>&1; rc=$?
check "sync on a device that is not set up fails with a reason" test "$rc" -ne 0
done_testing
