#!/usr/bin/env bash
# attune against one real daemon (no relay): help and version, every error a
# person can meet before having a partner, each with its sentence and exit
# status, input words and times, init, check-in, --json documents, wipe.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash

export ATTUNE_HOME="$T_DIR/home"
mkdir -p -m 700 "$ATTUNE_HOME"

# run ARGS...: attune with stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	OUT=$("$ATTUNE" "$@" 2>"$T_DIR/err") && RC=0 || RC=$?
	ERR=$(cat "$T_DIR/err")
}

run --version
check "--version prints the version" has "$OUT" '^attune [0-9]+\.[0-9]+\.[0-9]+$'
run --help
check "--help lists every command" test "$(printf '%s\n' "$OUT" | grep -cE '^  (init|pair|link|checkin|bid|respond|retract|status|log|watch|partners|devices|revoke|unpair|export|unlock|passphrase|wipe) ')" -eq 18
helps=0
for c in init pair link checkin bid respond retract status log watch partners devices revoke unpair export unlock passphrase wipe; do
	run "$c" --help
	if [ "$RC" -ne 0 ] || ! has "$OUT" "^usage: attune $c" >/dev/null 2>&1 || ! has "$OUT" '--help'; then
		echo "# attune $c --help: status $RC" >&2
		helps=$((helps + 1))
	fi
done
check "every command has --help (exit 0, usage line)" test "$helps" -eq 0
run help respond
check "attune help CMD is CMD --help" has "$OUT" '^usage: attune respond BID'
run frobnicate
check "unknown command: exit 2" test "$RC" -eq 2
check "unknown command: says how to list them" has "$ERR" "not a command: .attune --help"
run status --frob
check "unknown option: exit 2 and the command's help" has "$ERR" "unknown option --frob .*attune status --help"
test "$RC" -eq 2; ok $? "unknown option: exit 2"

# Before the daemon runs.
run status
check "daemon not running: exit 3" test "$RC" -eq 3
check "daemon not running: says how to start it" has "$ERR" '^attune: attuned is not running: start it with'
run status --json
check "daemon not running under --json: still one line on stderr, nothing on stdout" \
	test "$RC" -eq 3 -a -z "$OUT" -a "$(printf '%s\n' "$ERR" | wc -l)" -eq 1
(unset ATTUNE_HOME; "$ATTUNE" status >/dev/null 2>"$T_DIR/err2"); rc=$?
check "no ATTUNE_HOME and no XDG_RUNTIME_DIR: exit 3 with advice" \
	has "$(cat "$T_DIR/err2")" 'XDG_RUNTIME_DIR is not set.*ATTUNE_HOME'

# Input is checked before anything is sent (no daemon needed).
run checkin --mood 7 --desire 1 --capacity 1
check "mood 7: exit 2" test "$RC" -eq 2
check "mood 7: says the range and the words" has "$ERR" 'mood 7 is out of range: mood goes from 1 to 5 \(or awful, low, ok, good, great\)'
run checkin --mood sad --desire 1 --capacity 1
check "an unknown mood word: names the words" has "$ERR" "'sad' is not a mood: use 1-5 or awful"
run checkin --mood 2 --desire 9 --capacity 1
check "desire 9: out of range" has "$ERR" 'desire 9 is out of range'
run checkin --mood 2 --desire 1 --capacity lots
check "capacity 'lots': not a capacity" has "$ERR" "'lots' is not a capacity"
run checkin --tag tired </dev/null
check "no level off a terminal: asks for at least one" has "$ERR" 'say how you are with at least one of --mood N, --desire N, --capacity N'
long=$(printf 'x%.0s' $(seq 1 281))
run checkin --mood 2 --desire 1 --capacity 1 --note "$long"
check "281-character note: refused with the count" has "$ERR" 'the note has 281 characters: at most 280 fit'
run respond abcdef --yes --raincheck "sat 25:00"
check "a time that cannot be: exit 2, reason" has "$ERR" "--raincheck: '25:00': no such time of day"
run respond abcdef --yes --raincheck "2020-01-01 20:00"
check "a rain check in the past: refused" has "$ERR" 'is in the past'
run respond abcdef --yes --no
check "two answers: refused" test "$RC" -eq 2
run respond abcdef --yes --not-tonight
check "--yes and --not-tonight together: one answer" has "$ERR" 'give one answer'
run respond abcdef
check "no answer: says the three" has "$ERR" 'answer with --yes, --not-tonight or --later'
run respond xyz --yes
check "an id that is not hex: refused" has "$ERR" "'xyz' is not an id"
run log --since lately
check "log --since lately: says the forms" has "$ERR" "--since: 'lately' is not a span or a day"
run unpair Sam </dev/null
check "unpair off a terminal without --yes: asks for --yes" has "$ERR" 'add --yes to confirm'

# With the daemon, before init.
bg_start "$T_DIR/attuned.log" "$BUILD/attuned"
check "attuned starts" wait_for_line "$T_DIR/attuned.log" "listening on"
run status
check "not initialised: exit 1" test "$RC" -eq 1
check "not initialised: says to run attune init" has "$ERR" 'this device is not set up yet: run .attune init --name NAME.'
run init
check "init without --name: asks for it" has "$ERR" 'choose the name your partners will see: --name NAME'
run init --name Alex --relay http://example.org
check "init with a relay that is not an attune:// address: refused" has "$ERR" '--relay wants an address like attune://'
run init --name Alex --json
check "init --json: the device id" json "$OUT" 'len(d["device"]) == 16'
run init --name Alex
check "second init: already set up" has "$ERR" 'this device is already set up'
test "$RC" -eq 1; ok $? "second init: exit 1"

run status
check "status names me, says there is no partner yet" has "$OUT" '^Alex \(you\) - no check-in yet'
check "status: how to find a partner" has "$OUT" 'No partner yet: invite one with .attune pair.'
check "plain output has no escape sequences" test "$(printf '%s' "$OUT" | grep -c $'\033')" -eq 0
run status --json
check "status --json: the documented fields" json "$OUT" \
	'd["me"]["name"] == "Alex" and d["partners"] == [] and "bids_to_me" in d and "bids_from_me" in d and "rainchecks" in d and "t" not in d'

run checkin --mood low --desire none --capacity limited --tag "Tired, touched out" --tag tired \
	--open-to cuddle --open-to talk,space --responsive --note 'a "quoted" note\with a backslash'
check "checkin with words and lists: ok" test "$RC" -eq 0
check "checkin says it is stored, with its id" has "$OUT" '^Checked in \[[0-9a-f]{8}\]'
run status --json
check "words became numbers: mood 2, desire 0, capacity 2" json "$OUT" \
	'[d["me"]["checkin"][k] for k in ("mood", "desire", "capacity")] == [2, 0, 2]'
check "tags lowercased, deduplicated, spaces as hyphens" json "$OUT" \
	'd["me"]["checkin"]["tags"] == ["tired", "touched-out"] and d["me"]["checkin"]["open_to"] == ["cuddle", "talk", "space"]'
check "the note survives quotes and backslashes in JSON" json "$OUT" \
	'd["me"]["checkin"]["note"] == "a \"quoted\" note\\with a backslash" and d["me"]["checkin"]["responsive"] is True'
run status
check "status line reads like a person wrote it" has "$OUT" \
	'^Alex \(you\) - just now - mood 2/5 - desire 0/5 - capacity limited - tired, touched-out - responsive - open to: cuddle, talk, space$'

run checkin --mood 3 --desire 2 --capacity 3 --json
check "checkin --json: {id, queued}" json "$OUT" 'len(d["id"]) == 32 and d["queued"] == 0 and len(d) == 2'
CID=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

run checkin --mood 3 --desire 2 --capacity 3 --to Nobody
check "unknown partner in --to: exit 1, says where names are" has "$ERR" 'no partner by that name.*attune partners. lists'
run bid --to Sam --kind cuddle
check "bid without a partner: says to pair" has "$ERR" 'you have no partner yet: invite one with .attune pair.'
test "$RC" -eq 1; ok $? "bid without a partner: exit 1"
run respond 0123456789abcdef0123456789abcdef --yes
check "respond to an unknown bid: not found" has "$ERR" 'no such bid or event'
run respond 0123 --yes
check "respond to an unknown id prefix: not found" has "$ERR" "no bid or event starts with '0123'"

run log --since 30d
check "log shows a trend line per scale" has "$OUT" '^  Alex +mood +\|[.0-9]{30}3\|$'
check "log lists the check-ins, newest first" test "$(printf '%s\n' "$OUT" | grep -n 'Alex - mood' | head -1 | grep -c 'mood 3/5')" -eq 1
run log --json --since 1d
check "log --json: events newest first" json "$OUT" 'd["events"][0]["id"] == "'"$CID"'" and len(d["events"]) == 2'
run retract "${CID:0:8}"
check "retract by an id prefix: taken back" has "$OUT" '^Taken back'
run status --json
check "after retracting, the earlier check-in is current again" json "$OUT" 'd["me"]["checkin"]["mood"] == 2'

# On a terminal: the check-in asks, and status uses colour and Unicode.
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
OUT=$(LANG=C.UTF-8 LC_ALL=C.UTF-8 python3 "$T_DIR/onterm.py" 7 good 2 ok "tired, sick" cuddle \
	perhaps yes "typed at a terminal" Nobody "" someday +3h -- "$ATTUNE" checkin) && RC=0 || RC=$?
check "checkin on a terminal asks, and re-asks after a bad answer" test "$RC" -eq 0
check "the mood prompt names the words" has "$OUT" 'Mood \(1 awful, 2 low, 3 ok, 4 good, 5 great; - rather not say\):'
check "a bad answer is explained" has "$OUT" 'say a number 1-5, one of the words, or - \(rather not say\)'
check "it asks whether responsive, Enter meaning no" has "$OUT" '^Responsive: .*\(y/N\):'
check "a bad yes/no is explained" has "$OUT" 'say yes or no'
check "it asks who may see it, Enter meaning everyone" has "$OUT" 'Who may see it \(no partner yet; Enter: everyone\):'
check "a name that is no partner is refused and asked again" has "$OUT" "no partner is called 'Nobody'"
check "it asks how long it holds, Enter meaning 04:00" has "$OUT" 'Until when does it hold \(Enter: 04:00 next morning'
check "a time that does not read is explained and asked again" test "$(printf '%s\n' "$OUT" | grep -c '^Until when')" -eq 2
run status --json
check "the answers were sent" json "$OUT" \
	'[d["me"]["checkin"][k] for k in ("mood", "desire", "capacity", "tags", "open_to", "responsive", "note")] == [4, 2, 3, ["tired", "sick"], ["cuddle"], True, "typed at a terminal"]'
check "to everyone (no audience), valid for the 3 hours asked" json "$OUT" \
	'"to" not in d["me"]["checkin"] and abs(d["me"]["checkin"]["valid_until"] - (__import__("time").time() + 3 * 3600)) < 120'
OUT=$(LANG=C.UTF-8 LC_ALL=C.UTF-8 python3 "$T_DIR/onterm.py" 4 2 3 "" "" "" "" "" "" -- "$ATTUNE" checkin) && RC=0 || RC=$?
check "on a terminal, Enter keeps every default after the levels" test "$RC" -eq 0
run status --json
check "the defaults: not responsive, no note, everyone, until 04:00 next morning" json "$OUT" \
	'(lambda c, t: c["mood"] == 4 and c["responsive"] is False and "note" not in c and not c.get("tags") and "to" not in c and c["valid_until"] == int(t.mktime((lambda l: (l.tm_year, l.tm_mon, l.tm_mday + (l.tm_hour >= 4), 4, 0, 0, 0, 0, -1))(t.localtime(c["ts"])))))(d["me"]["checkin"], __import__("time"))'
OUT=$(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm python3 "$T_DIR/onterm.py" -- "$ATTUNE" status)
check "status on a terminal: Unicode separators" has "$OUT" $'Alex.* \xc2\xb7 .*just now.* \xc2\xb7 mood 4/5'
check "status on a terminal: colour" has "$OUT" $'\033\\[1mAlex'
OUT=$(NO_COLOR=1 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm python3 "$T_DIR/onterm.py" -- "$ATTUNE" status)
check "NO_COLOR: no colour even on a terminal" test "$(printf '%s' "$OUT" | grep -c $'\033')" -eq 0

run devices --json
check "devices --json: this device" json "$OUT" 'd["devices"][0]["this"] is True and len(d["devices"][0]["id"]) == 16'
run devices
check "devices: the id and 'this device'" has "$OUT" '^[0-9a-f]{16} - this device$'
run partners --json
check "partners --json: none" json "$OUT" 'd["partners"] == []'
run export
check "export: one JSON document with me, partners, devices, events" json "$OUT" \
	'd["me"]["name"] == "Alex" and len(d["events"]) >= 2 and "devices" in d and "partners" in d'

# A history longer than one frame comes in pages; the CLI joins them.
before=$("$ATTUNE" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')
heart=$(printf '\xf0\x9f\x92\x9c%.0s' $(seq 1 280))
for i in $(seq 1 70); do "$ATTUNE" checkin --mood 3 --desire 2 --capacity 3 --note "$heart" >/dev/null || break; done
run log --json
check "log --json over several pages: every event, once" json "$OUT" \
	'len(d["events"]) == '"$((before + 70))"' and len(set(e["id"] for e in d["events"])) == len(d["events"]) and "more" not in d'
check "the pages came joined, newest first" json "$OUT" \
	'all(a["ts"] >= b["ts"] for a, b in zip(d["events"], d["events"][1:]))'
run export
check "export over several pages: every event" json "$OUT" 'len(d["events"]) == '"$((before + 70))"' and d["me"]["name"] == "Alex"'
run log
check "log in words over several pages" test "$(printf '%s\n' "$OUT" | grep -c ' - mood 3/5 - desire 2/5 - capacity ok$')" -ge 70

run wipe </dev/null
check "wipe off a terminal without --yes: refused" has "$ERR" 'add --yes to confirm'
run wipe --yes
check "wipe --yes: done" has "$OUT" '^Wiped'
sleep 0.3
run status
check "after wipe attuned is gone: not running" test "$RC" -eq 3
check "after wipe no data folder is left" test ! -e "$ATTUNE_HOME/data/store.db"

# A passphrase: attuned starts locked until `attune unlock`.
export ATTUNE_HOME="$T_DIR/locked"
mkdir -p -m 700 "$ATTUNE_HOME"
start_locked() {
	bg_start "$T_DIR/locked.$1.log" "$BUILD/attuned"
	LPID=$BG_PID
	wait_for_line "$T_DIR/locked.$1.log" "listening on"
}
stop_locked() { kill "$LPID"; wait "$LPID" 2>/dev/null; }
check "a second attuned starts" start_locked 1
OUT=$(printf 'open sesame\n' | "$ATTUNE" init --name Kim --passphrase 2>&1) && RC=0 || RC=$?
check "init --passphrase reads it from stdin off a terminal" has "$OUT" 'protected by the passphrase'
stop_locked
check "attuned restarts" start_locked 2
run status
check "after a restart: locked, says to unlock" has "$ERR" 'attuned is locked: run .attune unlock.'
OUT=$(printf 'open barley\n' | "$ATTUNE" unlock 2>&1) && RC=0 || RC=$?
check "a wrong passphrase: refused, exit 1" test "$RC" -eq 1
check "with a sentence" has "$OUT" 'wrong passphrase: try again with .attune unlock.'
run unlock secret-on-the-command-line
check "a passphrase on the command line is refused" has "$ERR" 'read from the terminal or stdin'
OUT=$(printf 'open sesame\n' | "$ATTUNE" unlock 2>&1) && RC=0 || RC=$?
check "the right passphrase unlocks" has "$OUT" '^Unlocked\.$'
run status
check "status works once unlocked" has "$OUT" '^Kim \(you\)'
# Every secret key file is wrapped (issue 11, attack 8), under Argon2id MODERATE.
wrapped=0
for f in person.key sign.key dh.key relay.key storage.key; do
	head -c 5 "$ATTUNE_HOME/data/keys/$f" | grep -q "^ATPW" && wrapped=$((wrapped + 1))
done
check "with a passphrase every secret key file is wrapped" test "$wrapped" -eq 5
check "... the public halves in public.keys" test "$(stat -c %s "$ATTUNE_HOME/data/keys/public.keys")" -eq 128
check "... at the MODERATE limits (256 MiB)" test "$(od -An -tx1 -j13 -N8 "$ATTUNE_HOME/data/keys/storage.key" | tr -d ' \n')" = 0000000010000000
OUT=$(printf 'not it\n' | "$ATTUNE" passphrase --remove 2>&1) && RC=0 || RC=$?
check "removing the passphrase needs the current one: refused, exit 1" test "$RC" -eq 1
check "... with a sentence" has "$OUT" 'wrong passphrase'
OUT=$(printf 'not it\nnew one\n' | "$ATTUNE" passphrase 2>&1) && RC=0 || RC=$?
check "changing it needs the current one too" test "$RC" -eq 1
OUT=$(printf 'open sesame\n' | "$ATTUNE" passphrase --remove 2>&1) && RC=0 || RC=$?
check "passphrase --remove" has "$OUT" '^Passphrase removed'
check "the key files are plain again" test "$(stat -c %s "$ATTUNE_HOME/data/keys/person.key")" -eq 64
run passphrase --remove
check "passphrase --remove with none set: exit 1 (issue 13: it said 'removed')" test "$RC" -eq 1
check "says there is no passphrase" has "$ERR" '^attune: there is no passphrase: nothing to remove$'
stop_locked
check "attuned restarts again" start_locked 3
run status
check "without a passphrase it starts unlocked" has "$OUT" '^Kim \(you\)'

done_testing
