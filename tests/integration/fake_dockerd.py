#!/usr/bin/env python3
"""A stand-in for dockerd's image inspect, for unset-user: inspect.

usage: fake_dockerd.py DOCKER_SOCK DOCKGATE_SOCK COUNT_FILE

Serves GET /images/{name}/json on DOCKER_SOCK. Like dockerd with an
authorization plugin, it first asks dockgate (DOCKGATE_SOCK) whether that
GET may run, and answers only after dockgate did: a dockgate that waited for
this answer on the worker it needs for that question would deadlock. Every
look-up served is counted in COUNT_FILE.

Images: */userimg:* (USER 1000), */rootimg:* (no USER), */rootname:*
(USER root:root), sha256 IDs of those; anything else is 404.

FAKE_DOCKERD_DELAY=SECONDS in the environment: each look-up waits that
long before it answers, so that look-ups are still waiting at some moment.
"""
import http.client
import http.server
import json
import os
import socket
import socketserver
import sys
import threading
import time

DOCKER_SOCK, DOCKGATE_SOCK, COUNT_FILE = sys.argv[1:4]
IDS = {"userimg": "sha256:" + "a" * 64, "rootimg": "sha256:" + "b" * 64,
       "rootname": "sha256:" + "c" * 64}
USERS = {"userimg": "1000", "rootimg": "", "rootname": "root:root"}
DELAY = float(os.environ.get("FAKE_DOCKERD_DELAY", "0"))
lock = threading.Lock()
count = 0


class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("dockgate", timeout=60)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.path)


def authorized(uri):
    c = UnixConn(DOCKGATE_SOCK)
    c.request("POST", "/AuthZPlugin.AuthZReq", body=json.dumps(
        {"RequestMethod": "GET", "RequestUri": uri}))
    reply = json.loads(c.getresponse().read())
    c.close()
    return reply.get("Allow") is True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        global count
        path = self.path
        if not (path.startswith("/images/") and path.endswith("/json")):
            return self.send(404, {"message": "page not found"})
        if not authorized("/v1.41" + path):
            return self.send(403, {"message": "authorization denied"})
        name = path[len("/images/"):-len("/json")]
        time.sleep(DELAY)
        with lock:
            count += 1
            with open(COUNT_FILE, "w") as f:
                f.write(str(count))
        key = None
        for k, i in IDS.items():
            if name == i or name == i[7:] or ("/" + k + ":") in name:
                key = k
        if key is None:
            return self.send(404, {"message": "No such image: " + name})
        self.send(200, {"Id": IDS[key], "Config": {"User": USERS[key],
                                                   "Env": ["SECRET=x"]}})


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        req, _ = super().get_request()
        return req, ("local", 0)


if os.path.exists(DOCKER_SOCK):
    os.unlink(DOCKER_SOCK)
Server(DOCKER_SOCK, Handler).serve_forever()
