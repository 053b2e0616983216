#!/usr/bin/env python3
"""Bypass attempts against a private dockerd guarded by dockgate (started by
tests/e2e/bypass.sh). Every attempt is sent the way an attacker would: raw
HTTP on dockerd's socket. What counts is dockerd's own state afterwards
(docker ps -a, docker inspect, docker images), not what the plugin answered:
a forbidden request that created a container or an image is a bypass.

  bypass.py DOCKER_SOCKET IMAGE_OK PLUGIN_NAME [ceilings]

"ceilings" runs only the limit cases, for a policy that caps memory, CPUs
and PIDs without requiring them (tests/e2e/bypass.sh writes it): a limit
that is given must still be under its ceiling.

"doors" tries the other routes to the same effects (exec as root, update
lifting limits, tag/commit to an approved name), judged by the exec, update
and registries rules
(issue 4 adds them). It reports what is open and never fails.

Controls (a compliant body over the same transports) must be created, or the
attempts would prove nothing. Prints "bypasses: N of M"; exits 1 when N > 0
or a required control failed.
"""
import json
import socket
import subprocess
import sys
import time

SOCK, IMAGE_OK, PLUGIN = sys.argv[1], sys.argv[2], sys.argv[3]
PHASE = sys.argv[4] if len(sys.argv) > 4 else "all"

GOOD_HC = {"ReadonlyRootfs": True, "Memory": 67108864, "NanoCpus": 500000000,
           "PidsLimit": 50, "CapDrop": ["ALL"]}


def good(**over):
    """A compliant create body, with top-level fields replaced."""
    o = {"Image": IMAGE_OK, "User": "1000:1000", "Cmd": ["true"],
         "HostConfig": dict(GOOD_HC)}
    o.update(over)
    return o


def good_hc(**over):
    hc = dict(GOOD_HC)
    hc.update(over)
    for k in [k for k, v in hc.items() if v is DROP]:
        del hc[k]
    return good(HostConfig=hc)


DROP = object()


def enc(o):
    return o if isinstance(o, bytes) else json.dumps(o).encode()


def docker(*args):
    r = subprocess.run(["docker"] + list(args), capture_output=True, text=True,
                       timeout=60)
    return r.stdout


def containers():
    return set(docker("ps", "-aq", "--no-trunc").split())


def images():
    return set(docker("images", "-a", "--no-trunc", "--format",
                      "{{.Repository}}:{{.Tag}} {{.ID}}").splitlines())


def send(raw, timeout=60):
    """Sends raw bytes on a new connection; returns (status, body text)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(SOCK)
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # dockerd answered and closed before reading everything
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                c = s.recv(65536)
                if not c:
                    break
                buf += c
        except ConnectionResetError:
            pass
        if b"\r\n\r\n" not in buf:
            return 0, buf.decode("latin-1")
        head, rest = buf.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ", 2)[1])
        if status == 100:  # "100 Continue": the real answer follows
            try:
                while b"\r\n\r\n" not in rest:
                    c = s.recv(65536)
                    if not c:
                        break
                    rest += c
            except OSError:
                pass
            if b"\r\n\r\n" not in rest:
                return 100, rest.decode("latin-1")
            head, rest = rest.split(b"\r\n\r\n", 1)
            status = int(head.split(b" ", 2)[1])
        n = None
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v)
        s.settimeout(2)
        try:
            while n is None or len(rest) < n:
                c = s.recv(65536)
                if not c:
                    break
                rest += c
        except OSError:
            pass
        return status, rest.decode("utf-8", "replace")
    finally:
        s.close()


def send_all(raw, quiet=2.0):
    """Sends raw bytes (maybe several pipelined requests) and reads until
    dockerd closes or stays quiet for `quiet` seconds, so that every request
    in raw has been handled. Returns the first status line's code and all
    that was read."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    buf = b""
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(quiet)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not c:
                break
            buf += c
    finally:
        s.close()
    parts = buf.split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return status, buf.decode("utf-8", "replace")


def request(body, path="/v1.41/containers/create", method="POST",
            ctype="application/json", headers=(), framing="length"):
    body = enc(body)
    h = [b"%s %s HTTP/1.1" % (method.encode(), path.encode()), b"Host: docker"]
    if ctype is not None:
        h.append(b"Content-Type: " + ctype.encode())
    h += [x.encode() for x in headers]
    if framing == "length":
        h.append(b"Content-Length: %d" % len(body))
        payload = body
    elif framing == "zero":
        # Content-Length: 0, and the body sent anyway after the headers.
        h.append(b"Content-Length: 0")
        payload = body
    else:  # chunked
        h.append(b"Transfer-Encoding: chunked")
        payload = b""
        for i in range(0, len(body), 4096):
            part = body[i:i + 4096]
            payload += b"%x\r\n" % len(part) + part + b"\r\n"
        payload += b"0\r\n\r\n"
    return send(b"\r\n".join(h) + b"\r\n\r\n" + payload)


attempts = bypasses = controls_failed = 0
report = []


def attempt(name, body, raw_request=None, **kw):
    """A forbidden request: nothing may be created or pulled. raw_request,
    when given, is sent as it is instead of building one from body."""
    global attempts, bypasses
    attempts += 1
    c0, i0 = containers(), images()
    if raw_request is not None:
        status, out = send_all(raw_request)
    else:
        status, out = request(body, **kw)
    c1, i1 = containers(), images()
    new_c, new_i = c1 - c0, i1 - i0
    if new_c or new_i:
        bypasses += 1
        detail = []
        for cid in new_c:
            detail.append(docker("inspect", "--format",
                                 "{{.Name}} User={{.Config.User}} Image={{.Config.Image}} "
                                 "RO={{.HostConfig.ReadonlyRootfs}} Caps={{.HostConfig.CapAdd}} "
                                 "Mem={{.HostConfig.Memory}} Pids={{.HostConfig.PidsLimit}}",
                                 cid).strip())
            docker("rm", "-f", cid)
        detail += ["new image " + i for i in new_i]
        print("BYPASS %s: HTTP %d; %s" % (name, status, "; ".join(detail)), flush=True)
    else:
        why = "denied by dockgate" if "authorization denied by plugin " + PLUGIN in out \
            else out.strip().replace("\n", " ")[:90]
        print("held   %s: HTTP %d, %s" % (name, status, why), flush=True)


def control(name, body, required=True, **kw):
    """A compliant request over a transport: it must create a container."""
    global controls_failed
    c0 = containers()
    status, out = request(body, **kw)
    new_c = containers() - c0
    for cid in new_c:
        docker("rm", "-f", cid)
    if new_c and status == 201:
        print("ctrl   %s: created (HTTP 201)" % name, flush=True)
    elif required:
        controls_failed += 1
        print("CTRL-FAIL %s: HTTP %d %s" % (name, status, out.strip()[:200]), flush=True)
    else:
        print("ctrl   %s: not created (HTTP %d; fails closed, fine): %s"
              % (name, status, out.strip()[:120]), flush=True)


def ceilings():
    control("compliant, no CPU or PID limit (not required here)",
            good_hc(NanoCpus=DROP, PidsLimit=DROP))
    for name, over in (
            ("Memory 5g", {"Memory": 5 << 30}),
            ("PidsLimit 100000", {"PidsLimit": 100000}),
            ("CpuQuota 3 CPUs", {"NanoCpus": DROP, "CpuQuota": 300000}),
            ("CpuQuota 10^13 per 1 ms (int64 overflow)",
             {"NanoCpus": DROP, "CpuQuota": 10 ** 13, "CpuPeriod": 1000}),
            ("CpuQuota 2^63-1 per 1 ms", {"NanoCpus": DROP, "CpuQuota": 2 ** 63 - 1,
                                         "CpuPeriod": 1000}),
            ("CpuQuota 10^12 per 1 s", {"NanoCpus": DROP, "CpuQuota": 10 ** 12,
                                       "CpuPeriod": 1000000})):
        attempt("ceiling: " + name, good_hc(**over))
    print("controls: %d required failed" % controls_failed)
    print("bypasses: %d of %d" % (bypasses, attempts), flush=True)
    sys.exit(1 if bypasses or controls_failed else 0)


def api(method, path, body=None):
    raw = b"%s %s HTTP/1.1\r\nHost: docker\r\n" % (method.encode(), path.encode())
    data = b"" if body is None else enc(body)
    if body is not None:
        raw += b"Content-Type: application/json\r\n"
    raw += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data
    return send(raw)


def doors():
    opened = tried = 0

    def door(name, is_open, detail, counted=True):
        nonlocal opened, tried
        if counted:
            tried += 1
            opened += bool(is_open)
        print("%s %s: %s%s" % ("OPEN  " if is_open else "closed", name, detail,
                               "" if counted else " (allowed by design: not counted)"),
              flush=True)

    c0 = containers()
    status, out = api("POST", "/v1.41/containers/create?name=bp-door",
                      good(Cmd=["sleep", "120"]))
    status2, _ = api("POST", "/v1.41/containers/bp-door/start")
    if status != 201 or status2 not in (204, 304):
        print("doors: cannot run the compliant container (HTTP %d/%d): %s"
              % (status, status2, out[:200]))
        return
    st, out = api("POST", "/v1.41/containers/bp-door/exec",
                  {"User": "0", "Cmd": ["id", "-u"]})
    door("exec with User 0 in a compliant container", st == 201, "HTTP %d" % st)
    st, out = api("POST", "/v1.41/containers/bp-door/exec",
                  {"Privileged": True, "Cmd": ["id", "-u"]})
    door("exec with Privileged true", st == 201, "HTTP %d" % st)
    st, out = api("POST", "/v1.41/containers/bp-door/update", {"PidsLimit": -1})
    pids = docker("inspect", "--format", "{{.HostConfig.PidsLimit}}", "bp-door").strip()
    door("update lifting PidsLimit", pids not in ("50", ""), "HTTP %d, PidsLimit now %s"
         % (st, pids))
    st, out = api("POST", "/v1.41/containers/bp-door/update", {"Memory": 8 << 30,
                                                              "MemorySwap": 16 << 30})
    mem = docker("inspect", "--format", "{{.HostConfig.Memory}}", "bp-door").strip()
    door("update raising Memory past the ceiling", mem != "67108864",
         "HTTP %d, Memory now %s %s" % (st, mem, out.strip()[:100] if st != 200 else ""))
    i0 = images()
    st, out = api("POST", "/v1.41/images/evil.example.org/busybox:1/tag"
                          "?repo=registry.example.com/laundered&tag=1")
    door("tag an unapproved image with an approved name",
         any(i.startswith("registry.example.com/laundered:1 ") for i in images() - i0),
         "HTTP %d" % st)
    st, out = api("POST", "/v1.41/commit?container=bp-door&repo=registry.example.com/committed&tag=1")
    # registries judges the name a commit gives (issue 4): a container of an
    # approved image may be committed under an approved name.
    door("commit a container to an approved name",
         any(i.startswith("registry.example.com/committed:1 ") for i in images() - i0),
         "HTTP %d" % st, counted=False)
    for cid in containers() - c0:
        docker("rm", "-f", cid)
    for img in ("registry.example.com/laundered:1", "registry.example.com/committed:1"):
        docker("rmi", "-f", img)
    print("bypasses: %d of %d (other routes: exec, update, tag)" % (opened, tried))
    sys.exit(1 if opened else 0)


if PHASE == "ceilings":
    ceilings()
if PHASE == "doors":
    doors()

ROOT = good(User="0")

# ---- controls: the transports work for a compliant body ---------------------
control("compliant, /v1.41/containers/create", good())
control("compliant, /containers/create (no version)", good(), path="/containers/create")
control("compliant, /v1.41/containers/%63reate", good(), path="/v1.41/containers/%63reate")
control("compliant, lower-case keys", {k.lower(): v for k, v in good().items()})
control("compliant, charset content type", good(), ctype="application/json; charset=utf-8",
        required=False)
control("compliant, chunked", good(), framing="chunked", required=False)
control("compliant, 1.1 MiB body", good(Env=["PAD=" + "x" * (1100 * 1024)]),
        required=False)
control("compliant, Expect: 100-continue", good(), headers=["Expect: 100-continue"])
control("compliant first value, root second value (dockerd reads the first)",
        enc(good()) + enc(ROOT))

# ---- paths -----------------------------------------------------------------
for p in ("/v1.41/containers/%63reate", "/v1.41/%63ontainers/create",
          "/v1.41/containers/creat%65", "/v1.41/containers/%43reate",
          "/v1.41/containers%2Fcreate", "/%761.41/containers/create",
          "/containers/create", "/v1.24/containers/create", "/v1.41//containers/create",
          "/v1.41/containers/./create", "/v1.41/x/../containers/create",
          "/v1.41/containers/create/", "/v1.41/containers/create?name=bp-q",
          "/v1.41/containers/create?x=/auth", "/v1.41/containers/create?x=%2Fauth",
          "/v1.41/containers/create#frag"):
    attempt("root via path %s" % p, ROOT, path=p)
attempt("root via method 'post'", ROOT, method="post")

# ---- body transport ---------------------------------------------------------
big = good(User="0", Env=["PAD=" + "x" * (1100 * 1024)])
attempt("root in a 1.1 MiB body", big)
attempt("root in a 1 MiB body, exactly", good(User="0", Env=["P=" + "x" * (1048576 - 300)]))
attempt("root in a 16 MiB body", good(User="0", Env=["PAD=" + "x" * (16 << 20)]))
attempt("root with Content-Length: 0 and the body after", ROOT, framing="zero")
attempt("root, chunked", ROOT, framing="chunked")
attempt("root, 1.1 MiB chunked", big, framing="chunked")
for ct in ("application/json; charset=utf-8", "Application/JSON", "application/json ;x=y",
           "text/plain", "application/x-www-form-urlencoded", "application/jsonx", None, ""):
    attempt("root, Content-Type %r" % ct, ROOT, ctype=ct)
attempt("root with Expect: 100-continue", ROOT, headers=["Expect: 100-continue"])
root_b, good_b = enc(ROOT), enc(good())
attempt("root, chunked and a Content-Length of a compliant body", None, raw_request=(
    b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
    % (len(good_b), len(root_b), root_b)))
attempt("root over HTTP/1.0", None, raw_request=(
    b"POST /v1.41/containers/create HTTP/1.0\r\nHost: docker\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (len(root_b), root_b)))
attempt("root pipelined after a request on the same connection", None, raw_request=(
    b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"
    b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (len(root_b), root_b)))
attempt("root with a Content-Length shorter than the body (rest smuggled)", None,
        raw_request=(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                     b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(root_b), root_b)))
attempt("no body at all", b"")
attempt("body 'null'", b"null")
attempt("body '[]'", b"[]")
attempt("root after leading whitespace", b" \r\n\t" + enc(ROOT))
attempt("root first value, compliant second", enc(ROOT) + enc(good()))
attempt("root, then trailing garbage", enc(ROOT) + b"}}garbage")

# ---- keys ---------------------------------------------------------------------
def raw(s):
    return s.replace("IMG", IMAGE_OK).encode()


HC = json.dumps(GOOD_HC)
attempt("key 'user'", raw('{"Image":"IMG","user":"0","HostConfig":%s}' % HC))
attempt("key 'USER'", raw('{"Image":"IMG","USER":"0","HostConfig":%s}' % HC))
attempt("key '\\u0055ser'", raw('{"Image":"IMG","\\u0055ser":"0","HostConfig":%s}' % HC))
attempt("key 'Uſer' (U+017F)", raw('{"Image":"IMG","Uſer":"0","HostConfig":%s}' % HC))
attempt("key 'U\\u017fer' escaped", raw('{"Image":"IMG","U\\u017fer":"0","HostConfig":%s}' % HC))
attempt("duplicate User (1000, then 0)",
        raw('{"Image":"IMG","User":"1000","User":"0","HostConfig":%s}' % HC))
attempt("case-folded duplicate (User 1000, user 0)",
        raw('{"Image":"IMG","User":"1000","user":"0","HostConfig":%s}' % HC))
attempt("folded duplicate (User 1000, Uſer 0)",
        raw('{"Image":"IMG","User":"1000","Uſer":"0","HostConfig":%s}' % HC))
attempt("value '\\u0030'", raw('{"Image":"IMG","User":"\\u0030","HostConfig":%s}' % HC))
CAPHC = json.dumps(dict(GOOD_HC, CapAdd=["SYS_ADMIN"]))
attempt("key 'HoſtConfig' with CapAdd SYS_ADMIN",
        raw('{"Image":"IMG","User":"1000","HoſtConfig":%s}' % CAPHC))
attempt("key 'hostconfig' with CapAdd SYS_ADMIN",
        raw('{"Image":"IMG","User":"1000","hostconfig":%s}' % CAPHC))
attempt("duplicate HostConfig (compliant, then CapAdd SYS_ADMIN)",
        raw('{"Image":"IMG","User":"1000","HostConfig":%s,"HostConfig":%s}' % (HC, CAPHC)))
attempt("folded duplicate HostConfig (compliant, then hostconfig with SYS_ADMIN)",
        raw('{"Image":"IMG","User":"1000","HostConfig":%s,"hostconfig":%s}' % (HC, CAPHC)))
attempt("duplicate CapAdd inside HostConfig (capadd SYS_ADMIN last)",
        raw('{"Image":"IMG","User":"1000","HostConfig":%s}'
            % HC.replace("}", ', "CapAdd":["NET_BIND_SERVICE"], "capadd":["SYS_ADMIN"]}')))
attempt("key 'ReadonlyRootfſ' false after ReadonlyRootfs true",
        raw('{"Image":"IMG","User":"1000","HostConfig":%s}'
            % HC.replace("}", ', "ReadonlyRootfſ":false}')))
attempt("key 'PidſLimit' -1 after PidsLimit 50",
        raw('{"Image":"IMG","User":"1000","HostConfig":%s}'
            % HC.replace("}", ', "PidſLimit":-1}')))
attempt("top-level CapAdd ALL without HostConfig (20.10 wrapper)",
        raw('{"Image":"IMG","User":"1000","CapAdd":["ALL"],"ReadonlyRootfs":true,'
            '"Memory":67108864,"NanoCpus":500000000,"PidsLimit":50}'))
attempt("top-level CapAdd ALL with HostConfig null",
        raw('{"Image":"IMG","User":"1000","HostConfig":null,"CapAdd":["ALL"],'
            '"ReadonlyRootfs":true,"Memory":67108864,"NanoCpus":500000000,"PidsLimit":50}'))
attempt("top-level Memory 64g with inner Memory absent",
        raw('{"Image":"IMG","User":"1000","Memory":68719476736,"HostConfig":%s}'
            % json.dumps({k: v for k, v in GOOD_HC.items() if k != "Memory"})))

# ---- no-root -----------------------------------------------------------------
for u in ("0", "0:0", "root", "root:root", "0:1000", "1000:0", "1000:root", "root:1000",
          "00", "+0", "-0", "000:000", ":0", "", None):
    body = good(User=u) if u is not None else {k: v for k, v in good().items() if k != "User"}
    attempt("User %r" % u if u is not None else "User absent (image default is root)", body)

# ---- read-only-rootfs ----------------------------------------------------------
for v in (False, DROP, "true", 1, None):
    attempt("ReadonlyRootfs %r" % (v if v is not DROP else "absent"), good_hc(ReadonlyRootfs=v))

# ---- resource-limits -----------------------------------------------------------
for name, over in (("no Memory", {"Memory": DROP}), ("Memory 0", {"Memory": 0}),
                   ("Memory -1", {"Memory": -1}), ("Memory 5g", {"Memory": 5 << 30}),
                   ("Memory '64m'", {"Memory": "64m"}), ("Memory 67108864.5", {"Memory": 67108864.5}),
                   ("Memory 2^64", {"Memory": 18446744073709551616}),
                   ("NanoCpus 3e9", {"NanoCpus": 3000000000}),
                   ("no cpus", {"NanoCpus": DROP}),
                   ("CpuQuota 10 CPUs", {"NanoCpus": DROP, "CpuQuota": 1000000, "CpuPeriod": 100000}),
                   ("CpuQuota 100 CPUs via CpuPeriod 1000", {"NanoCpus": DROP, "CpuQuota": 100000,
                                                             "CpuPeriod": 1000}),
                   ("CpuQuota 3 CPUs, default period", {"NanoCpus": DROP, "CpuQuota": 300000}),
                   ("PidsLimit -1", {"PidsLimit": -1}), ("PidsLimit 0", {"PidsLimit": 0}),
                   ("no PidsLimit", {"PidsLimit": DROP}), ("PidsLimit 100000", {"PidsLimit": 100000})):
    attempt("limits: " + name, good_hc(**over))

# ---- capabilities ----------------------------------------------------------------
for caps in (["SYS_ADMIN"], ["sys_admin"], ["CAP_SYS_ADMIN"], ["cap_sys_admin"],
             ["Cap_Sys_Admin"], ["ALL"], ["all"], ["CAP_ALL"], "SYS_ADMIN", "ALL",
             [None, "SYS_ADMIN"], ["NET_BIND_SERVICE", "ALL"], ["NET_ADMIN"], ["SYS_PTRACE"]):
    attempt("CapAdd %r" % (caps,), good_hc(CapAdd=caps))

# ---- registries --------------------------------------------------------------------
IMAGE_ID = docker("inspect", "--format", "{{.Id}}", IMAGE_OK).strip()
HEX = IMAGE_ID.split(":", 1)[1]
for img in ("evil.example.org/busybox:1", "registry.example.com.evil.io/x:1",
            "ghcr.io/acme-evil/x:1", "ghcr.io/acmeevil:1", "registry.example.com:5000/x:1",
            "busybox", "busybox:latest", "docker.io/library/busybox",
            "index.docker.io/library/busybox", IMAGE_ID, HEX, HEX[:12], "sha256:" + HEX[:12],
            HEX[:4]):
    attempt("Image %s" % img, good(Image=img))
attempt("no Image", {k: v for k, v in good().items() if k != "Image"})

# ---- the image allow list's own control -----------------------------------------------
control("compliant, approved ghcr.io/acme/app:1", good(Image="ghcr.io/acme/app:1"))

print("controls: %d required failed" % controls_failed)
print("bypasses: %d of %d" % (bypasses, attempts), flush=True)
sys.exit(1 if bypasses or controls_failed else 0)
