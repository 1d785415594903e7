#!/usr/bin/env bash
# Issue 13 on the real programs (a relay, Alex partnered with Sam and Jo):
# no bid or check-in goes to everyone by mistake, names match ignoring
# case, contradictions and bad input are usage errors with a sentence, the
# pairing text prints a command a fresh device can run, devices are found
# by a unique start of their id, a stale socket is named, times and notes
# read the way people write them, and status and log read plainly.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

jval() { printf '%s' "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }
nevents() { as "$1" log --json; jval "$OUT" 'len(d["events"])'; }

cat >"$T_DIR/onterm.py" <<'PY'
import os, pty, sys, select
# onterm.py ANSWERS... -- CMD...: runs CMD on a terminal, typing one answer per prompt.
sep = sys.argv.index("--")
answers, cmd = sys.argv[1:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(cmd[0], cmd)
out = b""
while True:
    r, _, _ = select.select([fd], [], [], 10)
    if not r:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if answers and chunk.rstrip().endswith(b":"):
        os.write(fd, answers.pop(0).encode() + b"\n")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
onterm() { LANG=C.UTF-8 LC_ALL=C.UTF-8 ATTUNE_HOME="$T_DIR/$1" python3 "$T_DIR/onterm.py" "${@:2}"; }

check "relay starts" cli_relay_start
for who in alex sam jo; do cli_daemon_start "$who"; done
as alex init --name Alex --relay "$RELAY" --invite "$INVITE"
check "alex sets up with the relay" test "$RC" -eq 0
as jo init --name Jo --relay "$RELAY" --invite "$INVITE"
# Sam's device is fresh: no relay known yet.
as sam init --name Sam
check "sam sets up without a relay" test "$RC" -eq 0

# The pairing text prints the whole command, relay included (issue 13: "They
# run: attune pair 11-jamaica-snowcap" failed on a fresh device).
ATTUNE_HOME="$T_DIR/alex" "$ATTUNE" pair >"$T_DIR/pair.out" 2>"$T_DIR/pair.err" &
PAIR_PID=$!
T_PIDS="$T_PIDS $PAIR_PID"
check "alex's pair prints what the partner runs" wait_for_line "$T_DIR/pair.out" '^    attune pair attune://'
CMDLINE=$(sed -n 's/^    attune pair //p' "$T_DIR/pair.out" | head -1)
check "the printed command has the relay and the code (attune://...#code)" has "$CMDLINE" '^attune://[^ ]+#[0-9]+-[a-z]+-[a-z]+$'
check "and says the bare code works for a device that knows the relay" has "$(cat "$T_DIR/pair.out")" 'just the code: attune pair [0-9]+-[a-z]+-[a-z]+\)$'
as sam pair "$CMDLINE"
check "sam, on a fresh device, runs exactly that and is paired" has "$OUT" '^Paired with Alex\.$'
wait "$PAIR_PID"
check "alex's side finishes" test $? -eq 0
check "alex invites jo" invite_start alex pair
as jo pair "$CODE"
invite_wait
check "jo pairs with alex" has "$OUT" '^Paired with Alex\.$'
check "sam's device registers through the relay it learnt" until_has sam '^Alex - 1 device' partners

# An empty audience is an error, never "everyone".
before=$(nevents alex)
for to in "" "," " , "; do
	as alex checkin --mood 3 --desire 2 --capacity 3 --to "$to"
	check "checkin --to '$to': exit 2" test "$RC" -eq 2
	check "checkin --to '$to': names nobody, says so" has "$ERR" "--to '$to' names nobody: give a partner's name"
done
as alex bid --to "" --kind cuddle
check "bid --to '': exit 2" test "$RC" -eq 2
check "bid --to '': names nobody" has "$ERR" "--to '' names nobody"
as alex bid --kind cuddle </dev/null
check "bid without --to off a terminal: exit 2" test "$RC" -eq 2
check "bid without --to: says to name who it is for" has "$ERR" 'say who the bid is for with --to NAME'
as alex checkin --mood 3 --desire 2 --capacity 3 --only desire=
check "--only desire= : exit 2, names nobody" test "$RC" -eq 2
check "--only desire= : the sentence" has "$ERR" "--only 'desire=' names nobody"
check "none of these sent anything" test "$(nevents alex)" -eq "$before"

# A bare bid on a terminal asks what and for whom; Enter is not "everyone".
OUT=$(onterm alex "" "" nobody "jo" -- "$ATTUNE" bid) && RC=0 || RC=$?
check "bid on a terminal: sent" test "$RC" -eq 0
check "it asks what, Enter meaning tonight" has "$OUT" 'What would you like \(tonight, cuddle.*Enter: tonight\):'
check "it asks for whom, listing the partners" has "$OUT" 'Who is it for \((Sam, Jo|Jo, Sam)\):'
check "Enter is refused: a bid goes to someone" has "$OUT" 'a bid goes to someone'
check "a name that is no partner is refused" has "$OUT" "no partner is called 'nobody'"
check "jo gets the bid (typed 'jo')" until_has jo '^  Alex - tonight\?' status
as sam status
check "sam does not" lacks "$OUT" 'tonight\?'

# Names match ignoring case everywhere (issue 13: `bid --to sam` was refused).
as alex bid --to sam --kind sex
check "bid --to sam (lowercase): sent" test "$RC" -eq 0
SEX=$OUT
as alex checkin --mood 4 --desire 4 --capacity 3 --to SAM,jo --only desire=sAm --note "for both"
check "checkin --to SAM,jo --only desire=sAm: sent" test "$RC" -eq 0
as alex status --json
check "stored with the partners' own spelling" json "$OUT" \
	'sorted(d["me"]["checkin"]["to"]) == ["Jo", "Sam"] and d["me"]["checkin"]["only"]["desire"] == ["Sam"]'

# Plain wording (issue 13: "sex? just now - just now", "tonight? in 0 min until in 1 min").
check "the bid without a window shows its time once" until_has sam '^  Alex - sex\? - just now  \[' status
check "no 'just now - just now'" lacks "$OUT" 'just now - just now'
as alex retract "$SEX"
check "alex takes it back" test "$RC" -eq 0
as alex bid --to Sam --kind walk --until +1m
check "a bid with a window a minute long" test "$RC" -eq 0
WALK=$OUT
check "sam sees it until a clock time" until_has sam '^  Alex - walk\? until [0-9]{2}:[0-9]{2} - just now  \[' status
check "no 'in 0 min' anywhere" lacks "$OUT" 'in 0 min'
as alex retract "$WALK"
as alex bid --to Sam --kind date --at "next friday" --until "next friday 23:00"
check "bid --at 'next friday': understood" test "$RC" -eq 0
check "sam sees the day and the end as a clock time" until_has sam '^  Alex - date\? [A-Za-z]+ 20:00 until 23:00 ' status
BID=$(jval "$(ATTUNE_HOME="$T_DIR/sam" "$ATTUNE" status --json)" '[b["id"] for b in d["bids_to_me"] if b["bid_kind"] == "date"][0]')
as sam respond "${BID:0:8}" --later --raincheck "dec 24"
check "respond --raincheck 'dec 24': understood" test "$RC" -eq 0
as sam status --json
check "the rain check is on the 24th of December, 20:00" json "$OUT" \
	'(lambda t: (t.tm_mon, t.tm_mday, t.tm_hour))(__import__("time").localtime([r["at"] for r in d["rainchecks"] if r["bid"] == "'"$BID"'"][0])) == (12, 24, 20)'

# A bid closes at the end of its window: answering it then is refused, saying why.
TEA=$(ATTUNE_HOME="$T_DIR/alex" "$BUILD/tools/apic" bid kind=tea 'to[]=Sam' until_ts=$(($(date +%s) + 2)) | python3 -c 'import json,sys; print(json.load(sys.stdin)["event_id"])')
check "a bid with a window two seconds long" has "$TEA" '^[0-9a-f]{32}$'
check "sam gets it" until_has sam "tea\?" status
sleep 3
as sam respond "$TEA" --yes
check "answering a closed bid: exit 1" test "$RC" -eq 1
check "says it closed" has "$ERR" 'that bid closed .*\(its window ended\): there is nothing to answer'
as sam status
check "a closed bid leaves status" lacks "$OUT" 'tea\?'
as alex bid --to Sam --kind tea
check "a closed bid is no longer live: a new one may go" test "$RC" -eq 0
as alex retract "$OUT"

# Contradictions and bad input: exit 2 with the sentence.
as alex checkin --mood 3 --desire 2 --capacity 3 --responsive --not-responsive
check "--responsive --not-responsive: exit 2" test "$RC" -eq 2
check "names the contradiction" has "$ERR" '--responsive and --not-responsive contradict each other'
as alex checkin --mood 3 --mood 4 --desire 2 --capacity 3
check "--mood 3 --mood 4: exit 2" test "$RC" -eq 2
check "names it" has "$ERR" '--mood 3 and --mood 4 contradict each other'
as alex checkin --mood 3 --mood ok --desire 2 --capacity 3 --json
check "--mood 3 --mood ok say the same: fine" test "$RC" -eq 0
as alex bid --to Sam --kind cuddle --kind walk
check "two kinds: exit 2, named" has "$ERR" "--kind 'cuddle' and --kind 'walk' contradict each other"
as alex respond 0123456789abcdef0123456789abcdef --yes --raincheck tomorrow --raincheck "sat 20:00"
check "two rain checks: exit 2" test "$RC" -eq 2
as alex checkin --mood 3 --desire 2 --capacity 3 --note "$(printf 'red \033[31malert')"
check "a note with ESC: exit 2" test "$RC" -eq 2
check "a note with ESC: the sentence" has "$ERR" 'control characters are not allowed in a note'
as alex init --name "   "
check "init --name '   ': exit 2" test "$RC" -eq 2
check "init --name '   ': the sentence" has "$ERR" 'the name is blank'
as sam pair 42-zzzzzz-clockwork
check "a code with a word far from every word: exit 2" test "$RC" -eq 2
check "no guess" lacks "$ERR" 'did you mean'
check "says to check the code" has "$ERR" 'no word "zzzzzz" in pairing codes: check the code'
as sam pair 42-crosover-clockwork
check "a typo: exit 2 with a suggestion" has "$ERR" 'did you mean "crossover"'
as sam pair 42-crossover
check "a code with too few parts: exit 2" test "$RC" -eq 2

# "Rather not say" for each level; at least one is said.
as alex checkin --desire skip --capacity - --mood "rather not say" </dev/null
check "all three 'rather not say': exit 2" test "$RC" -eq 2
check "says at least one" has "$ERR" 'say at least one of mood, desire and capacity'
as alex checkin --mood 3 --desire skip --to Sam </dev/null
check "mood only (desire skipped, capacity not given): sent" test "$RC" -eq 0
as alex status --json
check "the check-in holds mood only" json "$OUT" \
	'd["me"]["checkin"]["mood"] == 3 and "desire" not in d["me"]["checkin"] and "capacity" not in d["me"]["checkin"]'
check "sam sees the mood and nothing of the rest" until_has sam '^Alex - just now - mood 3/5$' status
OUT=$(onterm alex - 4 - "" "" "" "" Sam "" -- "$ATTUNE" checkin) && RC=0 || RC=$?
check "on a terminal each level may be '-' (rather not say)" test "$RC" -eq 0
check "the prompt says so" has "$OUT" 'Mood \(1 awful.*5 great; - rather not say\):'
as alex status --json
check "only desire was said" json "$OUT" \
	'd["me"]["checkin"]["desire"] == 4 and "mood" not in d["me"]["checkin"] and "capacity" not in d["me"]["checkin"]'

# Your own check-in says who sees which field.
as alex checkin --mood 3 --desire 4 --capacity 2 --to Sam,Jo --only desire=Sam
as alex status
check "status: who sees my check-in, and the field for Sam only" has "$OUT" '^  seen by (Sam, Jo|Jo, Sam); desire: Sam only$'
as alex status --json
CI=$(jval "$OUT" 'd["me"]["checkin"]["id"]')
check "sam has it" until_has sam 'desire 4/5' status
as alex retract "$CI"
check "alex takes it back" test "$RC" -eq 0
as alex retract "$CI"
check "taking it back twice: exit 1" test "$RC" -eq 1
check "says already taken back" has "$ERR" 'already taken back'
as alex log --since 1d
check "alex's log marks it taken back" has "$OUT" 'Alex - mood 3/5 - desire 4/5 - capacity limited - \(taken back\)$'
check "so does sam's, on sam's device" until_has sam 'Alex - mood 3/5 - desire 4/5 - capacity limited - \(taken back\)$' log --since 1d
as sam log --json --since 1d
check "log --json: retracted true" json "$OUT" '[e.get("retracted") for e in d["events"] if e["id"] == "'"$CI"'"] == [True]'
as sam status
check "sam's status no longer shows it" lacks "$OUT" 'mood 3/5 - desire 4/5 - capacity limited'

# Notes count what a person sees (issue 13: 40 emoji were "320 characters").
acute=$(printf 'e\xcc\x81%.0s' $(seq 1 281))
as alex checkin --mood 3 --desire 2 --capacity 3 --note "$acute"
check "281 accented letters (562 code points): refused as 281 characters" has "$ERR" 'the note has 281 characters: at most 280 fit'
acute=$(printf 'e\xcc\x81%.0s' $(seq 1 280))
as alex checkin --mood 3 --desire 2 --capacity 3 --to Sam --note "$acute"
check "280 of them (560 code points) are sent: attuned counts the same way" test "$RC" -eq 0
check "and sam receives the note" until_has sam "$acute" status

# Devices by a unique start of their id (issue 13: `attune revoke f738`).
cli_daemon_start alex2
check "alex links a second device" invite_start alex link
LINK=$(head -1 "$INV_OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
as alex2 link "$LINK"
invite_wait
check "the second device is linked" has "$OUT" '^Linked'
D2=$(jval "$(ATTUNE_HOME="$T_DIR/alex2" "$ATTUNE" devices --json)" '[x["id"] for x in d["devices"] if x.get("this")][0]')
check "alex's first device lists it" until_has alex "^$D2" devices
as alex revoke f7380000
if printf '%s' "$D2" | grep -q '^f738'; then as alex revoke 0000f738; fi
check "revoke an id that is no device: exit 1" test "$RC" -eq 1
check "says 'no such device'" has "$ERR" "no such device '[0-9a-f]+': .attune devices. lists yours"
as alex revoke xyz
check "revoke something that is not hex: exit 2" test "$RC" -eq 2
as alex revoke "${D2:0:5}"
check "revoke by a unique start of the id: revoked, full id shown" has "$OUT" "^Revoked $D2:"

# log --since 1000d: trend lines fit the terminal (weekly or monthly cells).
OUT=$(ATTUNE_HOME="$T_DIR/alex" COLUMNS=80 "$ATTUNE" log --since 1000d)
check "log --since 1000d: a cell a month" has "$OUT" '^Trend, one cell a month \(30 days\) over 34 months'
check "every trend line fits 80 columns" test "$(printf '%s\n' "$OUT" | grep -E '^  .{12} (mood|desire|capacity) ' | awk 'length > 80' | wc -l)" -eq 0
OUT=$(ATTUNE_HOME="$T_DIR/alex" COLUMNS=40 "$ATTUNE" log --since 60d)
check "log --since 60d in 40 columns: a cell a week" has "$OUT" '^Trend, one cell a week over 9 weeks'

# unpair matches the name ignoring case too.
as alex status --json
check "before: alex's bid to jo is open" json "$OUT" '"tonight" in [b["bid_kind"] for b in d["bids_from_me"]]'
as alex unpair jo --yes
check "unpair jo (lowercase): unpaired from Jo" has "$OUT" '^Unpaired from Jo\.'
as alex status --json
check "a bid to someone no longer a partner closes (leaves status)" json "$OUT" '"tonight" not in [b["bid_kind"] for b in d["bids_from_me"]]'
as alex log --json
check "the log shows it closed" json "$OUT" '[e["state"] for e in d["events"] if e["kind"] == "bid" and e["bid_kind"] == "tonight"] == ["closed"]'

# init with a bogus invite says so (issue 13: "Welcome", rc 0), and status says why.
cli_daemon_start bogus
as bogus init --name Kim --relay "$RELAY" --invite bogus-token
check "init --invite bogus-token: exit 1" test "$RC" -eq 1
check "it says the relay refused the invite, and why" has "$ERR" 'the relay refused the invite \(invite-invalid\)'
as bogus status
check "status says why too" has "$OUT" "^The relay refused this device's invite \(invite-invalid\)"
as bogus status --json
check "status --json: me.relay_refused" json "$OUT" 'd["me"]["relay_refused"] == "invite-invalid" and d["me"]["connected"] is False'
cli_daemon_start faraway
NOWHERE=$(printf '%s' "$RELAY" | sed 's|^attune://127.0.0.1:[0-9]*/|attune://127.0.0.1:1/|')
as faraway init --name Lee --relay "$NOWHERE" --invite "$INVITE"
check "init with a relay that cannot be reached: exit 1" test "$RC" -eq 1
check "it says so" has "$ERR" 'cannot reach the relay at attune://127.0.0.1:1/.* yet'
as alex init --name Alex2 --relay "$RELAY" --invite "$INVITE"
check "(an already set-up device is still refused first)" has "$ERR" 'already set up'

# A stale socket: the file is left, nobody listens.
mkdir -p -m 700 "$T_DIR/stale"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T_DIR/stale/attuned.sock"
as stale status
check "stale socket: exit 3" test "$RC" -eq 3
check "stale socket: says attuned is not running and names the stale socket" has "$ERR" \
	"attuned is not running \(stale socket $T_DIR/stale/attuned.sock"

done_testing
