#!/usr/bin/env bash
# Attack 6 (issue 11): a partner whose name carries
# terminal escapes (OSC retitle, clear screen), C1 controls and bidi
# overrides pairs with Alex (the daemon already refuses such tags and notes
# at the sender and the receiver; the name got through); nothing Alex's CLI prints — pair, status, log,
# partners, watch, in text or JSON — contains any of those bytes. The CLI
# refuses such a name at `attune init`. The hostile side uses the daemon's API
# directly (apic), as an attacker with their own client would.
# Before the fix: the bidi override, the C1 CSI and the escapes in tags were
# printed raw.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash
APIC="$BUILD/tools/apic"

EVIL=$'\e]0;owned\a\e[2J'$'\xe2\x80\xae''Jo'$'\xc2\x9b''1m'

check "relay starts" cli_relay_start
for who in alex jo; do
	cli_daemon_start "$who"
done
as alex init --name "$EVIL" --relay "$RELAY" --invite "$INVITE"
check "init refuses a name with controls, with a clear error" has "$ERR" 'control character.*plain name'
check "... and exit status 2" test "$RC" -eq 2
as alex init --name Alex --relay "$RELAY" --invite "$INVITE"
check "alex sets up" test "$RC" -eq 0
ATTUNE_HOME="$T_DIR/jo" "$APIC" init name="$EVIL" relay="$RELAY" invite="$INVITE" >/dev/null
check "the hostile partner sets up through the API" test $? -eq 0

# bytes FILE: fails when FILE holds ESC, BEL, DEL, a C1 control (raw or UTF-8)
# or a bidi control; prints the offending bytes.
bytes_clean() {
	if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|(?<![\xc2-\xf4\x80-\xbf])[\x80-\x9f]' "$1"; then
		LC_ALL=C grep -aP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1" | od -c | head -5 | sed 's/^/#   /' >&2
		return 1
	fi
	return 0
}
# out_clean NAME: the last command's stdout and stderr are clean.
out_clean() {
	printf '%s\n%s\n' "$OUT" "$ERR" >"$T_DIR/$1.txt"
	bytes_clean "$T_DIR/$1.txt"
}

check "jo invites" invite_start jo pair
as alex pair "$CODE"
check "alex pairs with the hostile partner" test "$RC" -eq 0
check "pair: the partner's name is shown defanged" has "$OUT" '^Paired with \?\]0;owned\?\?\[2J\?Jo\?1m\.$'
check "pair output is clean" out_clean pair
invite_wait

ATTUNE_HOME="$T_DIR/alex" "$ATTUNE" watch >"$T_DIR/watch.txt" 2>&1 &
WATCH=$!
T_PIDS="$T_PIDS $WATCH"
ATTUNE_HOME="$T_DIR/alex" "$ATTUNE" watch --json >"$T_DIR/watchj.txt" 2>&1 &
T_PIDS="$T_PIDS $!"
sleep 0.5
ATTUNE_HOME="$T_DIR/jo" "$APIC" checkin mood=2 desire=1 capacity=2 "tags[]=cozy" \
	note="reversed" >/dev/null
check "the hostile check-in is sent" test $? -eq 0
ATTUNE_HOME="$T_DIR/jo" "$APIC" bid kind=cuddle 'to[]=Alex' note="come here" >/dev/null
check "the hostile bid is sent" test $? -eq 0

check "alex sees the check-in" until_has alex 'reversed' status
check "status is clean" out_clean status
check "status shows the name defanged" has "$OUT" '\?\]0;owned\?\?\[2J\?Jo\?1m'
as alex status --json
check "status --json is clean" out_clean statusj
check "status --json keeps the name, escaped" json "$OUT" \
	'any(p["name"] == "\x1b]0;owned\x07\x1b[2J\u202eJo\x9b1m" for p in d["partners"])'
check "alex sees the bid in the log" until_has alex 'cuddle' log
check "log is clean" out_clean log
as alex log --json
check "log --json is clean" out_clean logj
as alex partners
check "partners lists the partner" has "$OUT" 'Jo'
check "partners is clean" out_clean partners
as alex partners --json
check "partners --json is clean" out_clean partnersj
for i in $(seq 50); do grep -q reversed "$T_DIR/watch.txt" && break; sleep 0.1; done
check "watch shows the check-in" grep -q reversed "$T_DIR/watch.txt"
check "watch is clean" bytes_clean "$T_DIR/watch.txt"
check "watch --json is clean" bytes_clean "$T_DIR/watchj.txt"
done_testing
