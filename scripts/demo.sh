#!/bin/sh
# `make demo`: a short evening with attune, on this machine only.
#
# Starts a relay and one attuned per person (Alex, Sam and Jo) in a temporary
# folder on 127.0.0.1, pairs Alex with Sam and with Jo using real codes, then
# plays an evening: Sam checks in, Alex bids, Sam answers "not tonight" with
# context and an offer, Alex and Sam both spark (and Jo's lone spark stays
# unseen), and Jo sees only what was meant for Jo. Prints each
# person's `attune status`, then stops every process and removes every file.
set -eu

BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$(pwd)/$BUILD" ;; esac
for b in attune-relay attuned attune; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "demo: $BUILD/$b is missing: run \`make\` first (or \`make demo\`)" >&2
		exit 1
	fi
done
PATH="$BUILD:$PATH"
export PATH

DEMO=$(mktemp -d "${TMPDIR:-/tmp}/attune-demo.XXXXXX")
PIDS=""

cleanup() {
	status=$?
	for p in $PIDS; do kill "$p" 2>/dev/null || :; done
	sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || :; done
	wait 2>/dev/null || :
	if [ "$status" -ne 0 ] && [ -n "${DEMO_KEEP:-}" ]; then
		echo "demo: kept $DEMO for a look (logs: *.log)" >&2
	else
		rm -rf "$DEMO"
	fi
	if [ "$status" -ne 0 ]; then
		echo "demo: something went wrong (exit $status); DEMO_KEEP=1 make demo keeps the files" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then B=$(printf '\033[1m'); D=$(printf '\033[2m'); R=$(printf '\033[0m'); else B= D= R=; fi

say() { printf '\n%s%s%s\n' "$B" "$*" "$R"; }
note() { printf '%s%s%s\n' "$D" "$*" "$R"; }

# as PERSON ARGS...: shows the command, then runs attune as that person.
as() {
	who=$1; shift
	printf '%s%s$%s attune' "$D" "$who" "$R"
	for a in "$@"; do
		case "$a" in *" "*|*"'"*|*'"'*|"") printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac
	done
	printf '\n'
	rc=0
	out=$(ATTUNE_HOME="$DEMO/$who" attune "$@" 2>&1) || rc=$?
	if [ -n "$out" ]; then printf '%s\n' "$out" | sed 's/^/    /'; fi
	return $rc
}

# quiet PERSON ARGS...: runs attune as PERSON, output for the script only.
quiet() {
	who=$1; shift
	ATTUNE_HOME="$DEMO/$who" attune "$@"
}

# wait_for FILE REGEX: until FILE has a line matching REGEX (at most 15 s).
wait_for() {
	i=0
	while ! grep -Eq "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 150 ]; then
			echo "demo: timed out waiting for /$2/ in $(basename "$1")" >&2
			return 1
		fi
		sleep 0.1
	done
}

# arrives PERSON REGEX: until PERSON's log (as JSON) matches REGEX.
arrives() {
	i=0
	while ! quiet "$1" log --json 2>/dev/null | grep -Eq "$2"; do
		i=$((i + 1))
		if [ "$i" -gt 150 ]; then
			echo "demo: $1 did not receive /$2/ in time" >&2
			return 1
		fi
		sleep 0.1
	done
}

echo "${B}attune demo${R}: three people on one machine, a relay between them, one evening."
note "Everything lives in $DEMO and is removed at the end."

say "1. A relay (on a VPS or a Raspberry Pi, usually; here on 127.0.0.1)"
attune-relay --listen 127.0.0.1:0 --data "$DEMO/relay" >"$DEMO/relay.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$DEMO/relay.log" '^address: attune://'
RELAY=$(sed -n 's/^address: //p' "$DEMO/relay.log" | head -1)
INVITE=$(attune-relay invite --data "$DEMO/relay" --uses 3)
note "relay address: $RELAY"
note "invite token for three devices: $INVITE"

say "2. Each person runs attuned on their own laptop (here: one folder each)"
# Spark rounds every second instead of every 5 minutes, so the demo is short.
ATTUNE_SPARK_PERIOD_MS=1000
export ATTUNE_SPARK_PERIOD_MS
for who in alex sam jo; do
	mkdir -m 700 "$DEMO/$who"
	ATTUNE_HOME="$DEMO/$who" attuned >"$DEMO/$who.log" 2>&1 &
	PIDS="$PIDS $!"
done
for who in alex sam jo; do
	wait_for "$DEMO/$who.log" 'listening on'
done
as alex init --name Alex --relay "$RELAY" --invite "$INVITE"
as sam init --name Sam --relay "$RELAY" --invite "$INVITE"
as jo init --name Jo --relay "$RELAY" --invite "$INVITE"

# pair INVITER JOINER: the inviter prints a code, the joiner types it.
pair() {
	quiet "$1" pair --json >"$DEMO/pair-$1-$2.out" 2>&1 &
	pp=$!
	PIDS="$PIDS $pp"
	wait_for "$DEMO/pair-$1-$2.out" '"code"'
	code=$(sed -n 's/.*"code":"\([^"]*\)".*/\1/p' "$DEMO/pair-$1-$2.out" | head -1)
	printf '%s%s$%s attune pair\n' "$D" "$1" "$R"
	printf '    Read this code to your partner (it works once, for 10 minutes):  %s\n' "$code"
	as "$2" pair "$code"
	wait "$pp" 2>/dev/null || :
	safety=$(sed -n 's/.*"safety":"\([^"]*\)".*/\1/p' "$DEMO/pair-$1-$2.out")
	printf '    %s sees the same safety number: %s\n' "$1" "$safety"
}

say "3. Alex pairs with Sam, then with Jo (a code read aloud, checked by a safety number)"
pair alex sam
pair alex jo
as alex partners

say "4. The evening. Sam had a hard day and checks in"
as sam checkin --mood low --desire 1 --capacity low --tag tired,stressed --open-to cuddle,talk \
	--note "deadline day, would love to just hold you tonight"

say "5. Alex checks in too: desire is for Sam's eyes only, Jo sees the rest"
as alex checkin --mood good --desire high --capacity ok --tag playful --open-to cuddle,date \
	--only desire=Sam
arrives sam '"author":"Alex"'
arrives jo '"author":"Alex"'

say "6. Alex bids for Sam (only Sam sees it)"
printf '%salex$%s attune bid --to Sam --kind tonight --note "come to bed early?"\n' "$D" "$R"
BID=$(quiet alex bid --to Sam --kind tonight --note "come to bed early?")
printf '    %s\n' "$BID"
arrives sam "\"id\":\"$BID\""

say "7. Sam answers: not tonight, with the reason, an offer and a rain check"
as sam respond "$(printf '%.8s' "$BID")" --not-tonight --reason tired,stressed --offer cuddle \
	--raincheck "tomorrow evening" --note "wiped out from the deadline. hold me instead?"
arrives alex '"kind":"response"'

say "8. No pressure: a no is respected, and only Sam can reopen the door"
note "A second bid to Sam now is refused: one live bid at a time, and after a no, not before"
note "Sam's rain check (or 12 hours). Sam's answer is Sam's to change."
printf '%salex$%s attune bid --to Sam --kind cuddle\n' "$D" "$R"
if quiet alex bid --to Sam --kind cuddle >/dev/null 2>"$DEMO/refused"; then
	echo "demo: a bid after a no went through: this should not happen" >&2
	exit 1
fi
sed 's/^/    /' "$DEMO/refused"

say "9. Sparks: \"I'm in the mood for you\", shown only when it is mutual"
as jo spark --to Alex
as alex spark --to Sam
as sam spark --to Alex
arrives alex '"type":"spark-match"'
arrives sam '"type":"spark-match"'
as alex log --since 1h
if quiet alex log --json | grep -q '"name":"Jo"'; then
	echo "demo: Jo's lone spark became visible: this should not happen" >&2
	exit 1
fi
note "Alex and Sam are both told, once. Jo's spark for Alex is seen by nobody, ever:"
note "the daemons compare sparks in a private round every period, sparked or not."

say "10. What each of them sees now (attune status)"
for who in alex sam jo; do
	printf '\n%s--- %s ---%s\n' "$B" "$who" "$R"
	ATTUNE_HOME="$DEMO/$who" attune status 2>&1 | sed 's/^/    /'
done

say "11. Jo's device holds only what was meant for Jo"
if quiet jo log --json | grep -q '"desire"'; then
	echo "demo: Jo can see a desire level: this should not happen" >&2
	exit 1
fi
if quiet jo log --json | grep -q '"author":"Sam"'; then
	echo "demo: Jo can see something of Sam's: this should not happen" >&2
	exit 1
fi
note "No desire level, no bid, nothing of Sam's: Jo and Sam are not partners."

say "Done."
note "Stopping the relay and the three daemons, removing $DEMO."
note "Next: README.md (quick start with systemd), man attune, make check."
