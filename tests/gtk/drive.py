#!/usr/bin/python3
"""Drives attune-gtk through AT-SPI, the way a screen reader would.

usage: drive.py PID STEP [ARGS...]; exit 0 when the step did what it says.
Steps:
  click NAME              activate the showing button (or toggle) named NAME
  toggle NAME             same, for a toggle/check button that must end up on
  type NAME TEXT          put TEXT into the showing entry named NAME
  shows REGEX [SECS]      some showing text (name or text) matches REGEX
  lacks REGEX             no showing text matches REGEX
  text NAME               print the text of the showing object named NAME
  match REGEX             print the first showing text that matches REGEX
  width MAX               the window is at most MAX pixels wide
  names                   every showing control has a name and takes keyboard focus
  dump                    print the showing tree
Only objects that are showing count: hidden screens are not what a person sees.
"""
import re
import sys
import time

import pyatspi

CONTROLS = {pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
            pyatspi.ROLE_ENTRY, pyatspi.ROLE_PASSWORD_TEXT, pyatspi.ROLE_TEXT,
            pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_SPIN_BUTTON, pyatspi.ROLE_SLIDER,
            pyatspi.ROLE_COMBO_BOX}


def app_of(pid):
    desk = pyatspi.Registry.getDesktop(0)
    for i in range(desk.childCount):
        a = desk.getChildAtIndex(i)
        try:
            if a is not None and a.get_process_id() == pid:
                return a
        except Exception:
            pass
    return None


def extents(acc):
    try:
        return acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except Exception:
        return None


def showing(acc, span):
    """GTK 4.8 sets no SHOWING state: an object shows when it has a size and
    lies across the window's width (a folded leaflet parks the other page
    beside the window; a hidden stack page has no size). Content scrolled
    out of view below still counts: a person scrolls to it."""
    e = extents(acc)
    if e is None or e.width <= 0 or e.height <= 0:
        return False
    return e.x < span[1] and e.x + e.width > span[0]


def walk(acc, span=None, depth=0):
    """Showing objects under acc, depth first (hidden subtrees skipped). From
    the application, every window counts (the main one and its dialogs)."""
    if span is None:
        wins = [acc] if acc.getRole() != pyatspi.ROLE_APPLICATION else \
            [acc.getChildAtIndex(i) for i in range(acc.childCount)]
        for w in wins:
            e = extents(w) if w is not None else None
            if e is None or e.width <= 0:
                continue
            yield from walk(w, (e.x, e.x + e.width), depth + 1)
        return
    if depth > 60:
        return
    try:
        n = acc.childCount
    except Exception:
        return
    for i in range(n):
        try:
            c = acc.getChildAtIndex(i)
        except Exception:
            continue
        if c is None:
            continue
        if extents(c) is None:
            # No Component (a GtkStackPage): look through it.
            yield from walk(c, span, depth + 1)
            continue
        if not showing(c, span):
            continue
        yield c
        yield from walk(c, span, depth + 1)


def text_of(acc):
    try:
        t = acc.queryText()
        # GTK 4.8 answers getText(0, -1) with "": ask for the length it has.
        return t.getText(0, t.characterCount)
    except Exception:
        return ""


def find(root, name, roles=None):
    for a in walk(root):
        if a.name == name and (roles is None or a.getRole() in roles):
            return a
    return None


def wait_find(root, name, roles=None, secs=10.0):
    end = time.time() + secs
    while True:
        a = find(root, name, roles)
        if a is not None or time.time() > end:
            return a
        time.sleep(0.1)


def press(root, a):
    """Its action when it has one; GTK 4.8's check buttons have none, so
    click them with the pointer as a person would."""
    try:
        a.queryAction().doAction(0)
        return
    except Exception:
        pass
    e = extents(a)
    focus_window_of(root)
    pyatspi.Registry.generateMouseEvent(e.x + min(e.width // 2, 12), e.y + e.height // 2, "b1c")


def do_click(root, name):
    a = wait_find(root, name, {pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON,
                               pyatspi.ROLE_CHECK_BOX, pyatspi.ROLE_RADIO_BUTTON})
    if a is None:
        print(f"# no showing button named {name!r}", file=sys.stderr)
        return 1
    if not a.getState().contains(pyatspi.STATE_SENSITIVE):
        print(f"# {name!r} is greyed out", file=sys.stderr)
        return 1
    press(root, a)
    time.sleep(0.3)
    return 0


def do_toggle(root, name):
    a = wait_find(root, name, {pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON,
                               pyatspi.ROLE_CHECK_BOX, pyatspi.ROLE_RADIO_BUTTON})
    if a is None:
        print(f"# no showing toggle named {name!r}", file=sys.stderr)
        return 1
    def on():
        st = a.getState()
        return st.contains(pyatspi.STATE_CHECKED) or st.contains(pyatspi.STATE_PRESSED)
    if not on():
        press(root, a)
    end = time.time() + 3
    while not on() and time.time() < end:
        time.sleep(0.1)
    return 0 if on() else 1


def focus_window_of(root):
    """With no window manager under Xvfb, nobody raises and focuses the
    window a person clicks: do it, for the app's own window (found by its
    _NET_WM_PID), so the keys go where the click went."""
    from Xlib import X, Xatom, display
    d = display.Display()
    pid_atom = d.intern_atom("_NET_WM_PID")
    want = root.get_process_id()
    for w in d.screen().root.query_tree().children:
        prop = w.get_full_property(pid_atom, Xatom.CARDINAL)
        if prop is None or want not in prop.value:
            continue
        if w.get_attributes().map_state != X.IsViewable:
            continue
        w.configure(stack_mode=X.Above)
        w.set_input_focus(X.RevertToParent, X.CurrentTime)
        d.sync()
        time.sleep(0.1)
    d.close()


def do_type(root, name, text):
    a = wait_find(root, name, {pyatspi.ROLE_ENTRY, pyatspi.ROLE_PASSWORD_TEXT, pyatspi.ROLE_TEXT})
    if a is None:
        print(f"# no showing entry named {name!r}", file=sys.stderr)
        return 1
    # GTK 4.8 implements neither EditableText nor grabFocus: click into the
    # entry and type, as a person would (XTest through the AT-SPI registry).
    e = extents(a)
    focus_window_of(root)
    pyatspi.Registry.generateMouseEvent(e.x + e.width // 2, e.y + e.height // 2, "b1c")
    time.sleep(0.2)
    pyatspi.Registry.generateKeyboardEvent(0xff57, None, pyatspi.KEY_SYM)  # End
    for _ in range(len(text_of(a))):
        pyatspi.Registry.generateKeyboardEvent(0xff08, None, pyatspi.KEY_SYM)  # BackSpace
    if text:
        pyatspi.Registry.generateKeyboardEvent(0, text, pyatspi.KEY_STRING)
    end = time.time() + 3
    while text_of(a) != text and time.time() < end:
        time.sleep(0.1)
    got = text_of(a)
    if got != text:
        print(f"# {name!r} holds {got!r}, not {text!r}", file=sys.stderr)
        return 1
    return 0


def all_text(root):
    out = []
    for a in walk(root):
        if a.name:
            out.append(a.name)
        t = text_of(a)
        if t:
            out.append(t)
    return out


def do_shows(root, regex, secs=10.0):
    end = time.time() + float(secs)
    r = re.compile(regex)
    while True:
        texts = all_text(root)
        if any(r.search(t) for t in texts):
            return 0
        if time.time() > end:
            for t in texts[:40]:
                print("#   showing: " + t.replace("\n", " | ")[:160], file=sys.stderr)
            return 1
        time.sleep(0.2)


def do_lacks(root, regex):
    r = re.compile(regex)
    bad = [t for t in all_text(root) if r.search(t)]
    for t in bad[:3]:
        print("#   unexpected: " + t[:160], file=sys.stderr)
    return 1 if bad else 0


def frame_of(root):
    for i in range(root.childCount):
        c = root.getChildAtIndex(i)
        if c is not None and c.getRole() == pyatspi.ROLE_FRAME:
            return c
    return None


def do_width(root, limit):
    f = frame_of(root)
    if f is None:
        print("# no window", file=sys.stderr)
        return 1
    ext = f.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    if ext.width > int(limit):
        print(f"# the window is {ext.width} px wide", file=sys.stderr)
        return 1
    return 0


def do_names(root):
    """Every showing control has a name, and the keyboard can reach it."""
    bad = []
    for a in walk(root):
        if a.getRole() not in CONTROLS:
            continue
        if not a.name.strip():
            bad.append(f"{a.getRoleName()} in {a.parent.name!r}/{a.parent.parent.name!r}")
        elif not a.getState().contains(pyatspi.STATE_FOCUSABLE):
            bad.append(f"{a.getRoleName()} {a.name!r} cannot take the keyboard focus")
    for b in bad[:10]:
        print("#   unnamed: " + b, file=sys.stderr)
    return 1 if bad else 0


def do_dump(root, depth=0):
    for a in walk(root):
        print(f"[{a.getRoleName()}] {a.name!r} {text_of(a)[:60]!r}")
    return 0


def main():
    pid = int(sys.argv[1])
    step = sys.argv[2]
    args = sys.argv[3:]
    root = None
    end = time.time() + 15
    while root is None and time.time() < end:
        root = app_of(pid)
        if root is None:
            time.sleep(0.2)
    if root is None:
        print(f"# no accessible application with pid {pid}", file=sys.stderr)
        return 1
    if step == "text":
        a = wait_find(root, args[0])
        if a is None:
            return 1
        print(text_of(a) or a.name)
        return 0
    if step == "match":
        r = re.compile(args[0])
        end = time.time() + 10
        while time.time() < end:
            for t in all_text(root):
                if r.search(t):
                    print(t)
                    return 0
            time.sleep(0.2)
        return 1
    steps = {"click": do_click, "toggle": do_toggle, "type": do_type, "shows": do_shows,
             "lacks": do_lacks, "width": do_width, "names": do_names, "dump": do_dump}
    return steps[step](root, *args)


if __name__ == "__main__":
    sys.exit(main())
