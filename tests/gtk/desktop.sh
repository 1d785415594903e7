#!/usr/bin/env bash
# attune-gtk as the desktop sees it: `make install` puts the binary, desktop
# file, metainfo, icons, D-Bus service and man page in place; the metainfo
# passes appstreamcli validate; the D-Bus service activates the app, and its
# open-bid action (what a notification calls) opens the Answer screen on that
# bid, with a real relay and daemons.
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash
. tests/gtk/gtk_helpers.bash

ROOT="$T_DIR/root"
# What `make install-gtk` runs, without make (the test must not touch the build's flags).
DESTDIR="$ROOT" BINDIR=/usr/bin DATADIR=/usr/share MANDIR=/usr/share/man \
	sh scripts/install-gtk.sh "$GTK_APP" >"$T_DIR/install.log" 2>&1
check "install-gtk.sh (make install) succeeds" test $? -eq 0
for f in usr/bin/attune-gtk usr/share/applications/org.attune.Attune.desktop \
	usr/share/metainfo/org.attune.Attune.metainfo.xml \
	usr/share/icons/hicolor/scalable/apps/org.attune.Attune.svg \
	usr/share/icons/hicolor/symbolic/apps/org.attune.Attune-symbolic.svg \
	usr/share/dbus-1/services/org.attune.Attune.service usr/share/man/man1/attune-gtk.1; do
	check "installed: $f" test -s "$ROOT/$f"
done
check "the metainfo passes appstreamcli validate" \
	appstreamcli validate --no-net "$ROOT/usr/share/metainfo/org.attune.Attune.metainfo.xml"
DESKTOP=$(cat "$ROOT/usr/share/applications/org.attune.Attune.desktop")
check "the desktop file is D-Bus activatable" has "$DESKTOP" '^DBusActivatable=true$'
check "the D-Bus service starts the installed binary" \
	has "$(cat "$ROOT/usr/share/dbus-1/services/org.attune.Attune.service")" '^Exec=/usr/bin/attune-gtk --gapplication-service$'

check "relay starts" cli_relay_start
for who in alex sam; do
	cli_daemon_start "$who"
	name="$(tr a-z A-Z <<<"${who:0:1}")${who:1}"
	as "$who" init --name "$name" --relay "$RELAY" --invite "$INVITE"
done
invite_start alex pair
as sam pair "$CODE"
invite_wait
as sam bid --kind massage --to Alex --note "shoulders?"
until_has alex '"bid_kind": *"massage"' status --json
BID=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bids_to_me"][0]["id"])')
check "sam's bid reached alex" test -n "$BID"

# The session bus finds the installed service file (XDG_DATA_DIRS), and starts
# the app with ATTUNE_HOME from the bus's environment, as a notification would.
sed "s|/usr/bin/attune-gtk|$ROOT/usr/bin/attune-gtk|" \
	"$ROOT/usr/share/dbus-1/services/org.attune.Attune.service" >"$T_DIR/svc.tmp"
mv "$T_DIR/svc.tmp" "$ROOT/usr/share/dbus-1/services/org.attune.Attune.service"
export XDG_DATA_DIRS="$ROOT/usr/share:/usr/share" ATTUNE_HOME="$T_DIR/alex" ATTUNE_GTK_SIZE=360x2400
check "Xvfb and a session bus start" gtk_session_start
gdbus call --session --dest org.attune.Attune --object-path /org/attune/Attune \
	--method org.freedesktop.Application.ActivateAction open-bid "[<'$BID'>]" "{}" \
	>"$T_DIR/gdbus.out" 2>&1
check "open-bid over D-Bus activates the app" test $? -eq 0
APP_PID=$(pgrep -n -f "$ROOT/usr/bin/attune-gtk")
T_PIDS="$T_PIDS $APP_PID"
check "the app runs" test -n "$APP_PID"
check "it opens on the bid" ui "$APP_PID" shows '^Sam would like: massage'
check "with the Answer screen's choices" ui "$APP_PID" shows '^Not tonight$'
gdbus call --session --dest org.attune.Attune --object-path /org/attune/Attune \
	--method org.freedesktop.Application.ActivateAction checkin "[]" "{}" >/dev/null 2>&1
check "the desktop file's Check in action opens the check-in screen" ui "$APP_PID" shows '^Send check-in$'
check "a second start reaches the same app" test "$(pgrep -c -f "$ROOT/usr/bin/attune-gtk")" -eq 1

done_testing
