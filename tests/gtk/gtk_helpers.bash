# Helpers for the tests/gtk scripts (sourced after tests/e2e/lib.sh and
# cli_helpers.bash; not a test itself). A private X server (Xvfb), a private
# D-Bus session bus (the AT-SPI bus and registry are activated on it), and
# attune-gtk windows driven through AT-SPI by drive.py.

GTK_APP="$BUILD/attune-gtk"
# Sanitizer builds: memory errors abort the app, but leak checking is off for
# it alone (GTK, fontconfig and Mesa keep caches to the end of the process).
GTK_ASAN="detect_leaks=0:abort_on_error=1"
DRIVE="/usr/bin/python3 $(pwd)/tests/gtk/drive.py"

# gtk_session_start: Xvfb on a free display and a session bus; exports DISPLAY
# and DBUS_SESSION_BUS_ADDRESS for everything started after it.
gtk_session_start() {
	local i=0
	: >"$T_DIR/display"
	Xvfb -displayfd 5 -screen 0 1280x2600x24 -nolisten tcp -noreset 5>"$T_DIR/display" \
		>"$T_DIR/xvfb.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	while [ ! -s "$T_DIR/display" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T_DIR/display" ] || { echo "# Xvfb did not start" >&2; return 1; }
	export DISPLAY=":$(head -1 "$T_DIR/display")"
	# No dconf, no GL: the app's tests need neither, and cairo is faster under Xvfb.
	export GSETTINGS_BACKEND=memory GSK_RENDERER=cairo GDK_BACKEND=x11 NO_AT_BRIDGE=0
	export XDG_CACHE_HOME="$T_DIR/cache" XDG_CONFIG_HOME="$T_DIR/config"
	export XDG_DATA_HOME="$T_DIR/share"
	# The bus hands its environment to the apps it activates (tests/gtk/desktop.sh).
	ASAN_OPTIONS="$GTK_ASAN" dbus-daemon --session --nofork --print-address=1 \
		>"$T_DIR/bus.addr" 2>"$T_DIR/bus.log" &
	T_PIDS="$T_PIDS $!"
	wait_for_line "$T_DIR/bus.addr" '^unix:' || return 1
	export DBUS_SESSION_BUS_ADDRESS="$(head -1 "$T_DIR/bus.addr")"
}

# app_start WHO WxH: attune-gtk as WHO in a window of that size; its pid in APP_PID.
app_start() {
	ATTUNE_HOME="$T_DIR/$1" ATTUNE_GTK_SIZE="$2" ATTUNE_GTK_NON_UNIQUE=1 \
		ASAN_OPTIONS="$GTK_ASAN" bg_start "$T_DIR/app.$1.log" "$GTK_APP"
	APP_PID=$BG_PID
	$DRIVE "$APP_PID" shows '^(Today|Welcome to attune)$' 15
}

# ui PID STEP ARGS...: one drive.py step against that app.
ui() {
	$DRIVE "$@"
}
