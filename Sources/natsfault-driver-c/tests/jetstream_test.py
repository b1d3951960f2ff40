#!/usr/bin/env python3
"""JetStream test of natsfault-driver-c (DRIVER-PROTOCOL v1.1): js_publish, js_consume, js_stop.

Starts its own nats-servers with JetStream on free loopback ports, creates the streams and durable
consumers itself over $JS.API (nats-py), drives the driver over stdin/stdout and checks its events.
Exits 1 if any check failed, 3 if the driver or nats-py is missing. Kills every server it started and
removes its store directories.

Usage:
    Sources/natsfault-driver-c/tests/jetstream_test.py [DRIVER] [--server PATH ...]

DRIVER defaults to .build/release/natsfault-driver-c. Servers default to
~/.cache/natsfault/servers/2.15.1/bin/nats-server and /usr/sbin/nats-server (2.9.10), those present.
"""

import asyncio
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SECOND = 1_000_000_000

try:
    import nats
except ImportError:
    print("jetstream_test: needs nats-py (python3 -c 'import nats')", file=sys.stderr)
    sys.exit(3)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, binary, workdir, jetstream=True):
        self.port = free_port()
        self.store = os.path.join(workdir, "js-%d" % self.port)
        self.log = os.path.join(workdir, "server-%d.log" % self.port)
        self.cmd = [binary, "-p", str(self.port), "-a", "127.0.0.1"]
        if jetstream:
            self.cmd += ["-js", "-sd", self.store]
        self.proc = None

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def start(self):
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)  # JetStream up

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def api(self, subject, body):
        async def go():
            nc = await nats.connect(self.url)
            try:
                reply = await nc.request(subject, json.dumps(body).encode(), timeout=5)
            finally:
                await nc.close()
            return json.loads(reply.data)
        return asyncio.run(go())

    def add_stream(self, name, subjects):
        r = self.api("$JS.API.STREAM.CREATE." + name,
                     {"name": name, "subjects": subjects, "storage": "file", "num_replicas": 1})
        assert "error" not in r, r

    def add_consumer(self, stream, durable, **config):
        c = {"durable_name": durable, "ack_policy": "explicit", "deliver_policy": "all"}
        c.update(config)
        r = self.api("$JS.API.CONSUMER.DURABLE.CREATE.%s.%s" % (stream, durable),
                     {"stream_name": stream, "config": c})
        assert "error" not in r, r

    def delete_consumer(self, stream, durable):
        return self.api("$JS.API.CONSUMER.DELETE.%s.%s" % (stream, durable), {})


class Driver:
    def __init__(self, path, workdir):
        self.stderr = open(os.path.join(workdir, "driver-%d.err" % time.monotonic_ns()), "w")
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        self.events = []
        self.acks = {}
        self.cv = threading.Condition()
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            ev = json.loads(line)
            with self.cv:
                self.events.append(ev)
                if ev["event"] == "ack":
                    self.acks[ev["id"]] = ev
                self.cv.notify_all()

    def send(self, op, **fields):
        i = self.next_id
        self.next_id += 1
        fields.update(id=i, op=op)
        self.proc.stdin.write(json.dumps(fields) + "\n")
        self.proc.stdin.flush()
        return i

    def wait(self, i, timeout=120):
        deadline = time.time() + timeout
        with self.cv:
            while i not in self.acks:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError("no ack for command %d" % i)
                self.cv.wait(left)
            return self.acks[i]

    def call(self, op, timeout=120, **fields):
        return self.wait(self.send(op, **fields), timeout)

    def ev(self, name, **match):
        with self.cv:
            return [e for e in self.events
                    if e["event"] == name and all(e.get(k) == v for k, v in match.items())]

    def wait_until(self, pred, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return True
            time.sleep(0.05)
        return pred()

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


failures = []


def check(cond, what, detail=""):
    print(("PASS  " if cond else "FAIL  ") + what + (("  [%s]" % detail) if detail else ""))
    if not cond:
        failures.append(what)


def kinds(evs):
    return collections.Counter(e["error"]["kind"] for e in evs)


def test_publish_consume(driver_path, binary, workdir):
    srv = Server(binary, workdir)
    srv.start()
    try:
        srv.add_stream("S", ["js.>"])
        srv.add_consumer("S", "P")
        srv.add_consumer("S", "PU", deliver_subject="deliver.pu")
        d = Driver(driver_path, workdir)
        try:
            time.sleep(0.2)
            hello = d.ev("hello")
            check(hello and hello[0].get("protocol") == 1 and hello[0].get("protocol_minor") == 1
                  and "jetstream" in hello[0].get("capabilities", []), "hello: protocol 1.1, capability jetstream")
            check(d.call("connect", servers=[srv.url])["ok"], "connect")
            a1 = d.call("js_consume", sub="pull", js_stream="S", durable="P", batch=10, fetch_timeout_ms=500)
            a2 = d.call("js_consume", sub="push", js_stream="S", durable="PU", mode="push")
            check(a1["ok"] and a2["ok"], "js_consume pull and push bound")
            t0 = time.time()
            a = d.call("js_publish", subject="js.a", stream="p", count=1000, rate_per_s=500, js_stream="S",
                       msg_id=True, payload_bytes=64)
            took = time.time() - t0
            acks = d.ev("js_ack", stream="p")
            check(a["ok"] and a["succeeded"] == 1000 and a["failed"] == 0 and 1.9 < took < 4,
                  "js_publish 1000 at 500/s: ack ok, succeeded 1000", "%.2f s" % took)
            check([e["seq"] for e in acks] == list(range(1, 1001))
                  and [e["js_seq"] for e in acks] == list(range(1, 1001))
                  and all(e["js_stream"] == "S" and e["duplicate"] is False and e["call_ns"] > 0 for e in acks),
                  "1000 js_ack: seq and js_seq 1..1000, js_stream S, call_ns")
            d.wait_until(lambda: len(d.ev("js_message")) >= 2000, 15)
            for sub in ("pull", "push"):
                ms = d.ev("js_message", sub=sub)
                check(len(ms) == 1000
                      and [m["seq"] for m in ms] == list(range(1, 1001))
                      and [m["js_seq"] for m in ms] == list(range(1, 1001))
                      and [m["consumer_seq"] for m in ms] == list(range(1, 1001))
                      and all(m["stream"] == "p" and m["js_stream"] == "S" and m["delivered"] == 1
                              and m["redelivered"] is False for m in ms),
                      "%s: 1000 js_message with seq, js_seq, consumer_seq 1..1000, delivered 1" % sub)
            d.call("js_publish", subject="js.a", stream="p", count=2, msg_id=True)
            dup = d.ev("js_ack", stream="p")[-1]
            check(dup.get("duplicate") is True and dup.get("js_seq") == 2, "msg_id published again: duplicate true")
            s1, s2 = d.call("js_stop", sub="pull"), d.call("js_stop", sub="push")
            info = srv.api("$JS.API.CONSUMER.INFO.S.P", {})
            check(s1["ok"] and s2["ok"] and "error" not in info and info["num_ack_pending"] == 0,
                  "js_stop: acked, durable kept, nothing left unacked")
            # Unpaced: acks come as ranges.
            a = d.call("js_publish", subject="js.b", stream="f", count=5000)
            rs = d.ev("js_ack", stream="f")
            covered = sum(r["to"] - r["from"] + 1 if "from" in r else 1 for r in rs)
            in_step = all(r["js_seq_from"] - r["from"] == 1000 for r in rs if "from" in r)
            check(a["ok"] and covered == 5000 and in_step and len(rs) < 500,
                  "unpaced js_publish 5000: js_ack ranges in step", "%d lines" % len(rs))
            d.call("close")
        finally:
            d.close()
    finally:
        srv.stop()


def test_errors(driver_path, binary, workdir):
    srv = Server(binary, workdir)
    srv.start()
    try:
        srv.add_stream("S", ["js.>"])
        srv.add_consumer("S", "R", ack_wait=1 * SECOND)
        srv.add_consumer("S", "D")
        d = Driver(driver_path, workdir)
        try:
            d.call("connect", servers=[srv.url])
            a = d.call("js_publish", subject="nostream.x", stream="n", count=2)
            f = d.ev("js_publish_failed", stream="n")
            check(not a["ok"] and a["failed"] == 2 and len(f) == 2 and all(e["error"]["kind"] == "no_responders"
                  and "call_ns" in e for e in f), "subject without a stream: js_publish_failed no_responders")
            d.call("js_publish", subject="js.a", stream="w", count=1, js_stream="WRONG")
            f = d.ev("js_publish_failed", stream="w")
            check(len(f) == 1 and f[0]["error"]["kind"] == "stream_not_found",
                  "wrong js_stream: stream_not_found", f and f[0]["error"]["message"])
            for mode in ("pull", "push"):
                a = d.call("js_consume", sub="x", js_stream="S", durable="NOPE", mode=mode)
                check(not a["ok"] and a["error"]["kind"] == "consumer_not_found",
                      "%s js_consume of a missing durable: ack ok:false consumer_not_found" % mode)
            a = d.call("js_consume", sub="x", js_stream="NOSTREAM", durable="R")
            check(not a["ok"] and a["error"]["kind"] == "stream_not_found", "js_consume on a missing stream: stream_not_found")
            # ack:false: redelivered after ack_wait (1 s).
            d.call("js_consume", sub="r", js_stream="S", durable="R", ack=False, batch=5, fetch_timeout_ms=300)
            d.call("js_publish", subject="js.a", stream="p", count=5)
            d.wait_until(lambda: len(d.ev("js_message", sub="r")) >= 10, 10)
            ms = d.ev("js_message", sub="r")
            again = [m for m in ms if m["delivered"] == 2 and m["redelivered"] is True]
            check(sorted(m["seq"] for m in again[:5]) == [1, 2, 3, 4, 5] and all(m["delivered"] == 1 for m in ms[:5]),
                  "ack:false: redelivered after ack_wait with delivered 2, redelivered true")
            d.call("js_stop", sub="r")
            # A pull consumer deleted while fetching, then created again.
            d.call("js_consume", sub="d", js_stream="S", durable="D", fetch_timeout_ms=2000)
            d.wait_until(lambda: len(d.ev("js_message", sub="d")) >= 5, 10)
            time.sleep(0.3)
            srv.delete_consumer("S", "D")
            d.wait_until(lambda: d.ev("js_consumer_error", sub="d"), 5)
            errs = d.ev("js_consumer_error", sub="d")
            check(errs and errs[0]["error"]["kind"] == "consumer_deleted", "pull consumer deleted: js_consumer_error consumer_deleted",
                  errs and errs[0]["error"]["message"])
            time.sleep(2.5)
            errs = d.ev("js_consumer_error", sub="d")
            spans = [b["mono_ns"] - a["mono_ns"] for a, b in zip(errs, errs[1:])]
            check(all(s >= SECOND for s in spans), "js_consumer_error at most one a second",
                  "%d errors, %s suppressed" % (len(errs), sum(e.get("suppressed", 0) for e in errs)))
            srv.add_consumer("S", "D", deliver_policy="new")
            time.sleep(0.5)
            n = len(d.ev("js_message", sub="d"))
            d.call("js_publish", subject="js.a", stream="q", count=3)
            d.wait_until(lambda: len(d.ev("js_message", sub="d")) >= n + 3, 10)
            check([m["seq"] for m in d.ev("js_message", sub="d", stream="q")] == [1, 2, 3],
                  "the fetch loop goes on: consumer created again, its messages arrive")
            d.call("close")
        finally:
            d.close()
    finally:
        srv.stop()


def test_restart(driver_path, binary, workdir, outage_s=3.0):
    srv = Server(binary, workdir)
    srv.start()
    try:
        srv.add_stream("S", ["js.>"])
        srv.add_consumer("S", "P", ack_wait=5 * SECOND)
        srv.add_consumer("S", "PU", deliver_subject="deliver.pu", ack_wait=5 * SECOND)
        srv.add_consumer("S", "HB", deliver_subject="deliver.hb", idle_heartbeat=SECOND // 2, flow_control=True)
        d = Driver(driver_path, workdir)
        try:
            d.call("connect", servers=[srv.url], options={"reconnect_wait_ms": 100, "max_reconnects": -1})
            d.call("js_consume", sub="pull", js_stream="S", durable="P", batch=20, fetch_timeout_ms=500)
            d.call("js_consume", sub="push", js_stream="S", durable="PU", mode="push")
            d.call("js_consume", sub="hb", js_stream="S", durable="HB", mode="push")
            i = d.send("js_publish", subject="js.a", stream="p", count=1000, rate_per_s=500, ack_timeout_ms=1000)
            time.sleep(0.8)
            srv.stop()
            time.sleep(outage_s)
            srv.start()
            a = d.wait(i, 120)
            acks, fails = d.ev("js_ack", stream="p"), d.ev("js_publish_failed", stream="p")
            check(len(acks) + len(fails) == 1000 and fails and a["failed"] == len(fails),
                  "server stopped mid-publish: every publish acked or failed", "%d acked, %d failed" % (len(acks), len(fails)))
            check(all(k in ("timeout", "no_responders", "connection_closed", "io_error", "stale_connection")
                      for k in kinds(fails)), "failures are timeout/no_responders/connection kinds", dict(kinds(fails)))
            last_fail = max((f["seq"] for f in fails), default=0)
            check(all(e["seq"] > last_fail for e in acks[-200:]) and acks[-1]["seq"] == 1000,
                  "publishes after the restart succeed", "last failure seq %d" % last_fail)
            check(all(900_000_000 <= f["call_ns"] <= 1_500_000_000 for f in fails if f["error"]["kind"] == "timeout"),
                  "a timed-out publish's call_ns is ack_timeout_ms")
            check(any(e["error"]["kind"] == "heartbeats_missed" for e in d.ev("js_consumer_error", sub="hb")),
                  "push consumer with idle_heartbeat: heartbeats_missed during the outage")
            last = srv.api("$JS.API.STREAM.INFO.S", {})["state"]["last_seq"]
            for sub in ("pull", "push"):
                d.wait_until(lambda: {m["js_seq"] for m in d.ev("js_message", sub=sub)} >= set(range(1, last + 1)), 30)
                ms = d.ev("js_message", sub=sub)
                got = {m["js_seq"] for m in ms}
                check(got == set(range(1, last + 1)) and {e["seq"] for e in acks} <= {m["seq"] for m in ms},
                      "%s consumer resumes without gaps: js_seq 1..%d, every acked publish delivered" % (sub, last),
                      "%d messages" % len(ms))
            d.call("close")
        finally:
            d.close()
    finally:
        srv.stop()


def test_no_jetstream(driver_path, binary, workdir):
    srv = Server(binary, workdir, jetstream=False)
    srv.start()
    try:
        d = Driver(driver_path, workdir)
        try:
            d.call("connect", servers=[srv.url])
            a = d.call("js_publish", subject="js.a", stream="p", count=1)
            check(not a["ok"] and a["error"]["kind"] == "no_responders", "no JetStream: js_publish no_responders")
            a = d.call("js_consume", sub="a", js_stream="S", durable="P", mode="push")
            check(not a["ok"] and a["error"]["kind"] == "jetstream_not_enabled", "no JetStream: push bind jetstream_not_enabled")
            d.call("close")
        finally:
            d.close()
    finally:
        srv.stop()


def main():
    args = sys.argv[1:]
    servers = []
    while "--server" in args:
        k = args.index("--server")
        servers.append(args[k + 1])
        del args[k:k + 2]
    driver_path = args[0] if args else os.path.join(ROOT, ".build/release/natsfault-driver-c")
    if not os.access(driver_path, os.X_OK):
        print("jetstream_test: no driver at %s" % driver_path, file=sys.stderr)
        return 3
    if not servers:
        servers = [p for p in (os.path.expanduser("~/.cache/natsfault/servers/2.15.1/bin/nats-server"),
                               "/usr/sbin/nats-server") if os.access(p, os.X_OK)]
    if not servers:
        print("jetstream_test: no nats-server", file=sys.stderr)
        return 3
    workdir = tempfile.mkdtemp(prefix="natsfault-jstest-")
    try:
        for binary in servers:
            version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
            print("== %s" % version)
            for test in (test_publish_consume, test_errors, test_restart, test_no_jetstream):
                try:
                    test(driver_path, binary, workdir)
                except Exception as e:  # a test that broke is a failure, the others still run
                    check(False, "%s raised %r" % (test.__name__, e))
    finally:
        if failures:
            kept = tempfile.mkdtemp(prefix="natsfault-jstest-logs-")
            for name in os.listdir(workdir):
                if name.endswith((".log", ".err")):
                    shutil.copy(os.path.join(workdir, name), kept)
            print("driver stderr and server logs kept in %s" % kept)
        shutil.rmtree(workdir, ignore_errors=True)
    print("%d failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
