#!/usr/bin/env python3
"""Reload under load: N keep-alive clients decide the same request without
pause while the policy file is replaced RELOADS times, alternating a valid
file and an invalid one (valid ones alternating policy A and policy B).

The request (User 0, writable root filesystem) is denied by both policies,
each for its own rule, so every reply names the policy that decided it:
A ([no-root] only) or B ([read-only-rootfs] only). After every reload the
daemon's log is awaited and a probe must see the policy then in force.

usage: reload_load.py SOCK POLICY LOG CAPTURE PID MODE RELOADS CLIENTS
MODE: sighup (write in place, then SIGHUP) or watch (rename into place or
write in place, no signal). Prints one summary line; exits 1 on a failure.
"""
import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time

SOCK, POLICY, LOG, CAPTURE, PID, MODE = sys.argv[1:7]
RELOADS, CLIENTS = int(sys.argv[7]), int(sys.argv[8])

POLICY_A = "version: 1\nrules:\n  no-root: deny\n"
POLICY_B = "version: 1\nrules:\n  read-only-rootfs: deny\n"
# An unknown rule and a bad mode: two errors with positions.
INVALID = "version: 1\nmode: enforse\nrules:\n  no-rot: deny\n"


class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("dockgate", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def denied_by_both(capture):
    """The capture's AuthZReq with User 0 and a writable root filesystem."""
    import base64
    req = json.load(open(capture))
    body = json.loads(base64.b64decode(req["RequestBody"]))
    body["User"] = "0"
    body.setdefault("HostConfig", {})["ReadonlyRootfs"] = False
    req["RequestBody"] = base64.b64encode(json.dumps(body).encode()).decode()
    return json.dumps(req).encode()


BODY = denied_by_both(CAPTURE)


def ask(conn):
    conn.request("POST", "/AuthZPlugin.AuthZReq", body=BODY)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError("HTTP %d: %r" % (r.status, data))
    return json.loads(data)


def which(reply):
    """'A', 'B', or None for anything else."""
    if reply.get("Allow") is not False:
        return None
    ids = set(re.findall(r"\[([a-z-]+)\]", reply.get("Msg", "")))
    if ids == {"no-root"}:
        return "A"
    if ids == {"read-only-rootfs"}:
        return "B"
    return None


stop = threading.Event()
lock = threading.Lock()
stats = {"ok": 0, "failed": 0, "wrong": 0, "A": 0, "B": 0}
errors = []


def client():
    conn = UnixConn(SOCK)
    while not stop.is_set():
        try:
            w = which(ask(conn))
        except Exception as e:  # a failed request: counted, connection renewed
            with lock:
                stats["failed"] += 1
                errors.append(repr(e))
            conn.close()
            conn = UnixConn(SOCK)
            continue
        with lock:
            stats["ok"] += 1
            if w is None:
                stats["wrong"] += 1
            else:
                stats[w] += 1
    conn.close()


def write_in_place(text):
    with open(POLICY, "w") as f:
        f.write(text)


def write_renamed(text):
    tmp = POLICY + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, POLICY)


def log_counts():
    text = open(LOG, errors="replace").read()
    return (len(re.findall(r"dockgate: reloaded ", text)),
            len(re.findall(r"dockgate: (?:error: )?reload of .* failed", text)))


def wait_log(want_ok, want_failed, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        ok, failed = log_counts()
        if ok >= want_ok and failed >= want_failed:
            return ok == want_ok and failed == want_failed
        time.sleep(0.02)
    return False


threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
for t in threads:
    t.start()

problems = []
probe = UnixConn(SOCK)
in_force = "A"
ok0, failed0 = log_counts()
POSITION = re.escape(POLICY) + r":4:3: unknown rule 'no-rot'"
positions0 = len(re.findall(POSITION, open(LOG, errors="replace").read()))
for i in range(RELOADS):
    valid = i % 2 == 0
    if valid:
        in_force = "B" if in_force == "A" else "A"
        text = POLICY_A if in_force == "A" else POLICY_B
    else:
        text = INVALID
    if MODE == "sighup":
        write_in_place(text)
        os.kill(int(PID), signal.SIGHUP)
    elif i % 4 < 2:
        write_renamed(text)  # what editors and config managers do
    else:
        write_in_place(text)
    want_ok = ok0 + (i + 2) // 2
    want_failed = failed0 + (i + 1) // 2
    if not wait_log(want_ok, want_failed):
        problems.append("reload %d: log shows %r reloads/failures, want %r"
                        % (i, log_counts(), (want_ok, want_failed)))
        break
    try:
        got = which(ask(probe))
    except Exception as e:
        got = repr(e)
    if got != in_force:
        problems.append("reload %d: probe decided by %s, want %s"
                        % (i, got, in_force))
    # let the clients run on this policy for a moment
    time.sleep(0.01)

stop.set()
for t in threads:
    t.join()
probe.close()

text = open(LOG, errors="replace").read()
positions = len(re.findall(POSITION, text)) - positions0
if positions < RELOADS // 2:
    problems.append("only %d of %d failed reloads logged the error with its "
                    "position" % (positions, RELOADS // 2))
if stats["failed"] or stats["wrong"]:
    problems.append("%d failed requests, %d wrong verdicts (first errors: %s)"
                    % (stats["failed"], stats["wrong"], errors[:3]))
if stats["A"] == 0 or stats["B"] == 0:
    problems.append("the load never saw both policies: %r" % stats)

print("reload-load (%s): %d reloads, %d requests (A %d, B %d), %d failed, "
      "%d wrong" % (MODE, RELOADS, stats["ok"] + stats["failed"], stats["A"],
                    stats["B"], stats["failed"], stats["wrong"]))
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
