#!/usr/bin/env python3
"""Soak run against a running `m2vk serve`: CLIENTS threads for SECONDS, each request either
completed and checked against the single-request reference embedding of its text, or abandoned
at a random point (mid-headers, mid-body, or after sending, before the answer). Prints counts;
exits 1 on any failed or wrong completed response. Not a test (bench/serve/README in RESULTS.md).

    bench/serve/soak.py http://127.0.0.1:8080 [--seconds 600] [--clients 16] [--disconnect 0.3]
"""
import argparse
import http.client
import json
import random
import socket
import threading
import time
import urllib.parse

TEXTS = [f"soak text {i}: " + "monarch mixer " * (i % 7) for i in range(16)]


def embed(host, port, text):
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.request("POST", "/v1/embeddings", json.dumps({"model": "m", "input": text}),
                 {"Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


def abandon(host, port, text, rng):
    body = json.dumps({"model": "m", "input": text}).encode()
    req = (f"POST /v1/embeddings HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(req[: rng.randint(1, len(req))])
    if rng.random() < 0.5:
        time.sleep(rng.random() * 0.05)
    s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--disconnect", type=float, default=0.3, help="share of requests abandoned")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    reference = {}
    for t in TEXTS:
        status, body = embed(u.hostname, u.port, t)
        assert status == 200, body
        reference[t] = json.loads(body)["data"][0]["embedding"]
    counts = {"ok": 0, "wrong": 0, "failed": 0, "abandoned": 0}
    lock = threading.Lock()
    stop = time.time() + a.seconds

    def client(seed):
        rng = random.Random(seed)
        while time.time() < stop:
            t = rng.choice(TEXTS)
            if rng.random() < a.disconnect:
                abandon(u.hostname, u.port, t, rng)
                key = "abandoned"
            else:
                try:
                    status, body = embed(u.hostname, u.port, t)
                    got = json.loads(body)["data"][0]["embedding"] if status == 200 else None
                    key = "ok" if got is not None and max(abs(x - y) for x, y in zip(got, reference[t])) <= 1e-6 \
                        else ("wrong" if got is not None else "failed")
                except (OSError, http.client.HTTPException, ValueError):
                    key = "failed"
            with lock:
                counts[key] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(json.dumps({"seconds": a.seconds, "clients": a.clients, **counts}))
    return 0 if counts["wrong"] == 0 and counts["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
