#!/usr/bin/env python3
"""The kiosk as a user starts it: `BIN --data DIR` in a pseudo-terminal
of COLSxROWS. Prints one JSON line: the time from fork to the end of the
first frame (the cursor hidden after at least 200 bytes drawn, as a
ratatui draw ends; else the first burst followed by a quiet gap), then, after IDLE seconds of idling, the process's VmRSS and
VmHWM in MB. Terminal queries (cursor position, device attributes,
keyboard flags) are answered as a terminal would.

usage: kiosk_pty.py BIN DIR [COLS ROWS IDLE_SECONDS]
"""
import json
import os
import pty
import select
import signal
import struct
import sys
import time

import fcntl
import termios

QUIET = 0.15
FRAME_BYTES = 200
FRAME_END = b"\x1b[?25l"
ANSWERS = [
    (b"\x1b[6n", b"\x1b[1;1R"),
    (b"\x1b[?u", b"\x1b[?0u"),
    (b"\x1b[c", b"\x1b[?62;c"),
    (b"\x1b[0c", b"\x1b[?62;c"),
]


def status_mb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def main():
    binary, data = sys.argv[1], sys.argv[2]
    cols = int(sys.argv[3]) if len(sys.argv) > 3 else 80
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else 24
    idle = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
    t0 = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.environ["TERM"] = "xterm-256color"
        os.environ.setdefault("TZ", "Asia/Shanghai")
        os.execv(binary, [binary, "--data", data])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    total = 0
    last = None
    frame = None
    seen = b""
    deadline = t0 + 120
    exited = False
    while frame is None and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], QUIET)
        if not r:
            if total >= FRAME_BYTES and last is not None:
                frame = last - t0
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            exited = True
            break
        if not chunk:
            exited = True
            break
        now = time.monotonic()
        total += len(chunk)
        last = now
        seen = (seen + chunk)[-64:]
        if total >= FRAME_BYTES and FRAME_END in seen:
            frame = now - t0
        for ask, answer in ANSWERS:
            if ask in chunk:
                os.write(fd, answer)
    # Idle: keep draining what it draws.
    end = time.monotonic() + idle
    while not exited and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                if not os.read(fd, 65536):
                    exited = True
            except OSError:
                exited = True
    rss = status_mb(pid, "VmRSS")
    hwm = status_mb(pid, "VmHWM")
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    print(json.dumps({
        "frame_ms": frame * 1000.0 if frame is not None else None,
        "bytes": total,
        "rss_mb": rss,
        "hwm_mb": hwm,
        "exited_early": exited,
    }))


if __name__ == "__main__":
    main()
