#!/usr/bin/env bash
# make screenshots: every main screen of attune-gtk at 360x640 (a phone) and
# 1280x800 (a desktop), rendered under Xvfb with a real relay and two real
# daemons holding a real evening (check-ins, a bid, an answer), into
# docs/screenshots/SCREEN-WxH.png. Reuses the app tests' helpers.
set -u
OUTDIR=${OUTDIR:-docs/screenshots}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash
. tests/gtk/gtk_helpers.bash
SHOT="/usr/bin/python3 $(pwd)/tests/gtk/shot.py"

cli_relay_start || exit 1
for who in alex sam; do
	cli_daemon_start "$who"
	[ "$who" = alex ] && ALEX_DAEMON=$BG_PID
	name="$(tr a-z A-Z <<<"${who:0:1}")${who:1}"
	as "$who" init --name "$name" --relay "$RELAY" --invite "$INVITE" || exit 1
done
invite_start alex pair
as sam pair "$CODE"
invite_wait
as sam checkin --mood 3 --desire 2 --capacity limited --tag tired,close --open-to cuddle,talk \
	--note "long day, but I miss you. couch later?"
as alex checkin --mood good --desire high --capacity ok --tag playful,relaxed --open-to cuddle,date \
	--note "home by seven"
as sam bid --kind cuddle --to Alex --at tonight --note "blanket, tea, that film you wanted?"
gtk_session_start || exit 1

# shoot SIZE: one app at SIZE, every screen.
shoot() {
	local size=$1 a screen file
	app_start alex "$size" || { echo "screenshots: the app did not start" >&2; return 1; }
	a=$APP_PID
	for screen in "Today:today" "Check in:checkin" "Ask:ask" "Answer:answer" \
		"History:history" "Partners and devices:pair" "Settings:settings"; do
		ui "$a" click "${screen%%:*}" >/dev/null 2>&1
		# Pairing as it looks while showing a code.
		[ "${screen%%:*}" = "Partners and devices" ] && ui "$a" click "Pair" >/dev/null 2>&1 && \
			ui "$a" shows '^[0-9]+-[a-z]+-[a-z]+$' >/dev/null 2>&1
		# The answer screen as it looks while saying not tonight.
		[ "${screen%%:*}" = "Answer" ] && ui "$a" toggle "Not tonight" >/dev/null 2>&1
		sleep 0.6
		file="$OUTDIR/${screen#*:}-$size.png"
		$SHOT "$a" "$file" && echo "  $file"
		ui "$a" click "Back" >/dev/null 2>&1
	done
	kill "$a"; wait "$a" 2>/dev/null
}
shoot 360x640
shoot 1280x800
# attuned stopped under the app.
app_start alex 360x640 || exit 1
kill "$ALEX_DAEMON"
ui "$APP_PID" shows '^attuned is not running$' >/dev/null 2>&1
sleep 0.5
$SHOT "$APP_PID" "$OUTDIR/not-running-360x640.png" && echo "  $OUTDIR/not-running-360x640.png"
