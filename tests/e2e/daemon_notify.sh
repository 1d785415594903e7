#!/usr/bin/env bash
# Desktop notifications on a private session bus, watched with dbus-monitor:
# discreet by default (who and what, no content), full when configured, none
# during quiet hours or when turned off, and a daemon without any bus is fine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_helpers.bash"

if ! command -v dbus-daemon >/dev/null || ! command -v dbus-monitor >/dev/null; then
	skip "notifications" "needs dbus-daemon and dbus-monitor"
	done_testing
fi

# A bus with no service activation, where anyone may eavesdrop.
BUS="$T_DIR/bus"
cat >"$T_DIR/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$BUS</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
bg_start "$T_DIR/bus.log" dbus-daemon --config-file="$T_DIR/bus.conf" --nofork --print-address=1
check "private session bus starts" wait_for_line "$T_DIR/bus.log" "^unix:path="
export DBUS_SESSION_BUS_ADDRESS="unix:path=$BUS"
bg_start "$T_DIR/mon.out" dbus-monitor --address "$DBUS_SESSION_BUS_ADDRESS" \
	"interface='org.freedesktop.Notifications',member='Notify'"
wait_for_line "$T_DIR/mon.out" "NameAcquired|NameLost" 5

relay_start
ok $? "relay starts"
daemon_start alex && DBUS_SESSION_BUS_ADDRESS="unix:path=$T_DIR/no-bus-here" daemon_start sam
ok $? "two daemons start (Sam without any session bus)"
init alex Alex invite && init sam Sam
ok $? "init both"
check "Alex registers" wait_until 10 connected alex
pair alex sam
ok $? "Alex and Sam pair"

# notified N TEXT: the Nth Notify call seen carries TEXT as its summary.
notified() {
	wait_until 10 bash -c "grep -c 'member=Notify' '$T_DIR/mon.out' | grep -qx '$1'" &&
	grep -A5 'member=Notify' "$T_DIR/mon.out" | grep -q "string \"$2\""
}

SCI=$(api sam checkin mood=1 desire=0 capacity=1 note="kumquat-secret" | jq -r .event_id)
check "Sam, with no bus, still checks in" test ${#SCI} -eq 32
check "discreet: Alex is told Sam checked in" notified 1 "Sam checked in"
check "discreet: no note in the notification" bash -c "! grep -q kumquat '$T_DIR/mon.out'"
check "discreet: no mood in the notification" bash -c "! grep -q 'mood 1' '$T_DIR/mon.out'"
api alex checkin mood=3 desire=2 capacity=2 >/dev/null
sleep 0.5
check "no notification for one's own check-in" bash -c "[ \$(grep -c member=Notify '$T_DIR/mon.out') = 1 ]"

# full: content shown.
daemon_kill alex
printf '[notifications]\nmode = full\n' >"$T_DIR/alex/attuned.conf"
daemon_start alex
ok $? "Alex restarts with notifications = full"
check "Alex reconnects" wait_until 10 connected alex
api sam bid kind=cuddle 'to[]=Alex' note="papaya-invite" >/dev/null
check "full: Alex is told about the bid" notified 2 "Sam sent you a bid"
check "full: the note is shown" grep -q "papaya-invite" "$T_DIR/mon.out"

# quiet hours around the clock: nothing.
daemon_kill alex
printf '[notifications]\nmode = full\nquiet_hours = 00:00-23:59\n' >"$T_DIR/alex/attuned.conf"
daemon_start alex
check "Alex reconnects (quiet hours)" wait_until 10 connected alex
N=$(api sam checkin mood=4 desire=3 capacity=4 note="quiet-one" | jq -r .event_id)
check "Alex still receives it" wait_until 10 bash -c "ATTUNE_HOME='$T_DIR/alex' '$APIC' log | grep -q '$N'"
sleep 0.5
check "quiet hours: no notification" bash -c "! grep -q quiet-one '$T_DIR/mon.out'"

done_testing
