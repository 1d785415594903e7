#!/usr/bin/env bash
# make bench, the app's part: attune-gtk under Xvfb with a real attuned.
# Prints cold start to first frame (median of 5), idle RSS, and idle wake-ups
# (context switches of all its threads over 10 s while nothing changes).
set -u
. tests/e2e/lib.sh
. tests/e2e/cli_helpers.bash
. tests/gtk/gtk_helpers.bash
cli_relay_start >/dev/null || exit 1
cli_daemon_start alex
as alex init --name Alex --relay "$RELAY" --invite "$INVITE"
gtk_session_start || exit 1
unset GSK_RENDERER   # the renderer a person gets
ATTUNE_HOME="$T_DIR/alex" /usr/bin/python3 - "$GTK_APP" <<'PY'
import os, statistics, subprocess, sys, time

app = sys.argv[1]
env = dict(os.environ, ATTUNE_GTK_BENCH="exit", ATTUNE_GTK_SIZE="360x640")
runs = []
for i in range(6):
    t0 = time.monotonic()
    p = subprocess.run([app], env=env, capture_output=True, text=True, timeout=60)
    line = [l for l in p.stderr.splitlines() if "first frame at" in l]
    if not line:
        print("bench-gtk: the app showed no frame:", p.stderr[-300:], file=sys.stderr)
        sys.exit(1)
    ms = float(line[0].split("first frame at ")[1].split()[0]) - t0 * 1000
    if i > 0:  # the first run fills the page cache
        runs.append(ms)
print(f"attune-gtk cold start to first frame: {statistics.median(runs):.0f} ms "
      f"(median of {len(runs)}, min {min(runs):.0f}, max {max(runs):.0f}; target <= 300)")

env = dict(os.environ, ATTUNE_GTK_SIZE="360x640")
p = subprocess.Popen([app], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(4)

def field(path, name):
    with open(path) as f:
        for l in f:
            if l.startswith(name + ":"):
                return int(l.split()[1])
    return 0

def switches():
    total = 0
    for t in os.listdir(f"/proc/{p.pid}/task"):
        st = f"/proc/{p.pid}/task/{t}/status"
        try:
            total += field(st, "voluntary_ctxt_switches") + field(st, "nonvoluntary_ctxt_switches")
        except FileNotFoundError:
            pass
    return total

rss = field(f"/proc/{p.pid}/status", "VmRSS")
a = switches()
time.sleep(10)
b = switches()
p.terminate()
p.wait()
print(f"attune-gtk idle RSS: {rss / 1024:.1f} MiB")
print(f"attune-gtk idle wake-ups: {(b - a) / 10:.1f} per second over 10 s (all threads)")
PY
