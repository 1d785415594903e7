#!/bin/bash
# Hostile envelopes at the daemon: garbage from a partner's device key is
# logged, counted as undecryptable and acknowledged (never delivered again),
# and the real session with that device keeps working afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

RELAYC="$BUILD/tools/relayc"

relay_start && daemon_start alex && daemon_start sam
ok $? "relay and two daemons start"
init alex Alex invite && init sam Sam
ok $? "init"
check "Alex connects" wait_until 10 connected alex
pair alex sam
ok $? "Alex and Sam pair"
check "Sam connects" wait_until 10 connected sam
checkin sam "before" >/dev/null
check "a first check-in arrives" wait_until 10 has_note alex "before"

# Speak as Sam's device (its relay key) while Sam's daemon is stopped.
daemon_kill sam
alex_key=$("$RELAYC" --key "$T_DIR/alex/data/keys/relay.key" pubkey)
[ -n "$alex_key" ]
ok $? "Alex's device key"
"$RELAYC" --key "$T_DIR/sam/data/keys/relay.key" "$ADDR" \
	"put $alex_key this-is-not-an-envelope" "put $alex_key neither-is-this" >"$T_DIR/relayc.out" 2>&1
ok $? "two garbage envelopes put in Sam's name"
check "Alex counts both as undecryptable" wait_until 10 bash -c \
	"ATTUNE_HOME='$T_DIR/alex' '$APIC' status | grep -q '\"undecryptable\":2'"
grep -q "cannot be opened" "$T_DIR/alex.log"
ok $? "Alex's log says so (without content)"
! grep -q "this-is-not-an-envelope" "$T_DIR/alex.log"
ok $? "the log does not echo the envelope"

# They were acknowledged: a restart does not see them again.
daemon_kill alex
daemon_start alex
check "Alex reconnects" wait_until 10 connected alex
sleep 1
api alex status | grep -q '"undecryptable":2'
ok $? "after a restart the count is kept and nothing is delivered twice"

daemon_start sam
check "Sam reconnects" wait_until 10 connected sam
checkin sam "after the garbage" >/dev/null
check "the real session still works" wait_until 10 has_note alex "after the garbage"
checkin alex "and back" >/dev/null
check "both ways" wait_until 10 has_note sam "and back"

done_testing
