#!/usr/bin/python3
"""Saves the window of process PID as a PNG: shot.py PID FILE.

Reads the pixels from the X server (python3-xlib) and writes the PNG with
zlib, so screenshots need no image tools beyond what the tests use.
"""
import struct
import sys
import zlib

from Xlib import X, Xatom, display


def window_of(d, pid):
    atom = d.intern_atom("_NET_WM_PID")
    for w in d.screen().root.query_tree().children:
        prop = w.get_full_property(atom, Xatom.CARDINAL)
        if prop is not None and pid in prop.value and \
                w.get_attributes().map_state == X.IsViewable:
            return w
    return None


def write_png(path, width, height, rgb):
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[y * stride:(y + 1) * stride]) for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def main():
    pid, path = int(sys.argv[1]), sys.argv[2]
    d = display.Display()
    w = window_of(d, pid)
    if w is None:
        print(f"shot: no window of process {pid}", file=sys.stderr)
        return 1
    g = w.get_geometry()
    img = w.get_image(0, 0, g.width, g.height, X.ZPixmap, 0xffffffff)
    data = img.data
    if img.depth not in (24, 32) or len(data) < g.width * g.height * 4:
        print(f"shot: unexpected image depth {img.depth}", file=sys.stderr)
        return 1
    rgb = bytearray(g.width * g.height * 3)
    rgb[0::3] = data[2::4][:g.width * g.height]
    rgb[1::3] = data[1::4][:g.width * g.height]
    rgb[2::3] = data[0::4][:g.width * g.height]
    write_png(path, g.width, g.height, rgb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
