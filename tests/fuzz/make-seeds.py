#!/usr/bin/env python3
"""Writes the seed corpora of the authz, create and decide fuzz targets from
the captures (tests/fixtures/captures, tests/fixtures/authz) and the verdict
cases (tests/verdicts/*.case). Run from the repository root when captures or
cases are added; the output is committed.

  tests/fuzz/make-seeds.py
"""
import base64
import glob
import hashlib
import json
import os

OUT = "tests/fuzz/corpus"


def write(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def authz(uri, body, method="POST"):
    o = {"RequestMethod": method, "RequestUri": uri}
    if body is not None:
        o["RequestBody"] = base64.b64encode(body).decode()
    return json.dumps(o).encode()


def main():
    for p in sorted(glob.glob("tests/fixtures/captures/*.json") +
                    glob.glob("tests/fixtures/authz/*.json")):
        raw = open(p, "rb").read()
        write("authz", raw)
        write("decide", raw)
        try:
            o = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(o, dict):
            continue
        body = o.get("RequestBody")
        if isinstance(body, str):
            b = base64.b64decode(body)
            if b.startswith(b"{"):
                write("create", b)
                write("decide", b)
        uri = o.get("RequestUri")
        if isinstance(uri, str):
            write("authz", (o.get("RequestMethod", "POST") + "\n" + uri).encode())

    for p in sorted(glob.glob("tests/verdicts/*.case")):
        kv = {}
        for line in open(p, encoding="utf-8"):
            line = line.rstrip("\n")
            if not line or line.startswith("#") or ": " not in line:
                continue
            k, v = line.split(": ", 1)
            kv.setdefault(k, v)
        uri = kv.get("uri", "/v1.41/containers/create")
        method = kv.get("method", "POST")
        if "body" in kv:
            b = kv["body"].encode()
            if len(b) < 4096:
                write("create", b)
                write("decide", b)
            write("authz", authz(uri, b, method))
        elif "body-b64" in kv:
            o = {"RequestMethod": method, "RequestUri": uri,
                 "RequestBody": kv["body-b64"]}
            write("authz", json.dumps(o).encode())
            write("decide", json.dumps(o).encode())
        write("authz", (method + "\n" + uri).encode())


if __name__ == "__main__":
    main()
