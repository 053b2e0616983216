#!/usr/bin/env python3
"""A minimal stand-in for systemd's socket activation with Restart=always:
binds SOCK, then runs CMD with the listening socket as fd 3 and
LISTEN_FDS/LISTEN_PID set, restarting it (after DELAY s) whenever it exits,
at most MAX times. It writes the current child's pid to PIDFILE. Requests
made while no child runs wait in the socket's backlog, as under systemd.

usage: sockact.py SOCK PIDFILE DELAY MAX CMD...
"""
import os
import signal
import socket
import sys
import time

sock_path, pidfile, delay, max_starts = sys.argv[1:5]
cmd = sys.argv[5:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
s.listen(128)
stopping = False
child = 0


def stop(signum, frame):
    global stopping
    stopping = True
    if child:
        os.kill(child, signal.SIGTERM)


signal.signal(signal.SIGTERM, stop)
for n in range(int(max_starts)):
    if stopping:
        break
    pid = os.fork()
    if pid == 0:
        os.dup2(s.fileno(), 3)
        os.set_inheritable(3, True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.execvp(cmd[0], cmd)
    child = pid
    with open(pidfile + ".tmp", "w") as f:
        f.write(str(pid))
    os.rename(pidfile + ".tmp", pidfile)
    os.waitpid(pid, 0)
    child = 0
    if stopping:
        break
    time.sleep(float(delay))
os.unlink(sock_path)
