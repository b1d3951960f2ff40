#!/usr/bin/env python3
"""Smoke test for natsfault-driver-c (the nats.c driver, DRIVER-PROTOCOL v1).

Starts its own nats-server processes on free loopback ports (14222 and up),
drives several driver processes over stdin/stdout and asserts the behaviours
the harness relies on. Exits non-zero on the first failed check; kills every
process it started.

Usage:
    scripts/driver-smoke.py [DRIVER]

DRIVER defaults to $NATSFAULT_DRIVER_C, else
.build-driver/debug/natsfault-driver-c, else .build/debug/natsfault-driver-c
(build with: swift build --product natsfault-driver-c --scratch-path .build-driver).
The server binary is $NATS_SERVER or nats-server on PATH. Python 3 stdlib only.
"""

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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 10.0


class CheckFailed(Exception):
    pass


def find_driver():
    if len(sys.argv) > 1:
        return sys.argv[1]
    if os.environ.get("NATSFAULT_DRIVER_C"):
        return os.environ["NATSFAULT_DRIVER_C"]
    for scratch in (".build-driver", ".build"):
        p = os.path.join(ROOT, scratch, "debug", "natsfault-driver-c")
        if os.path.exists(p):
            return p
    sys.exit("driver-smoke: no driver binary found; build it with\n"
             "  swift build --product natsfault-driver-c --scratch-path .build-driver")


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


_next_port = [14222]


def free_port():
    while _next_port[0] < 15000:
        p = _next_port[0]
        _next_port[0] += 1
        if port_free(p):
            return p
    raise RuntimeError("no free port in 14222..15000")


class Server:
    def __init__(self, binary, tmp, name, port, cluster_port=None, routes=None):
        self.binary, self.tmp, self.name = binary, tmp, name
        self.port, self.cluster_port, self.routes = port, cluster_port, routes
        self.proc = None

    @property
    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def start(self):
        args = [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-n", self.name,
                "-l", os.path.join(self.tmp, self.name + ".log")]
        if self.cluster_port:
            args += ["--cluster_name", "smoke", "--cluster", "nats://127.0.0.1:%d" % self.cluster_port]
        if self.routes:
            args += ["--routes", ",".join(self.routes)]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CheckFailed("%s exited at start (see %s.log)" % (self.name, self.name))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise CheckFailed("%s did not listen on %d" % (self.name, self.port))

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Driver:
    def __init__(self, binary, tmp, name):
        self.name = name
        self.stderr = open(os.path.join(tmp, "driver-%s.stderr" % name), "w")
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        self.events = []
        self.bad_lines = []
        self.cond = threading.Condition()
        self.next_id = 1
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            try:
                ev = json.loads(raw)
                if not isinstance(ev, dict) or "event" not in ev or "mono_ns" not in ev:
                    raise ValueError("not an event")
            except ValueError:
                with self.cond:
                    self.bad_lines.append(raw)
                continue
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def send_raw(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def send(self, op, **fields):
        cid = self.next_id
        self.next_id += 1
        cmd = {"id": cid, "op": op}
        cmd.update(fields)
        self.send_raw(json.dumps(cmd))
        return cid

    def mark(self):
        with self.cond:
            return len(self.events)

    def wait_for(self, pred, what, since=0, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events[since:]:
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CheckFailed("driver %s: timed out waiting for %s; last events:\n  %s" % (
                        self.name, what, "\n  ".join(json.dumps(e) for e in self.events[-8:])))
                self.cond.wait(left)

    def select(self, pred, since=0):
        with self.cond:
            return [e for e in self.events[since:] if pred(e)]

    def ack(self, cid, timeout=TIMEOUT):
        return self.wait_for(lambda e: e["event"] == "ack" and e.get("id") == cid,
                             "ack of command %d" % cid, timeout=timeout)

    def call(self, op, timeout=TIMEOUT, **fields):
        return self.ack(self.send(op, **fields), timeout=timeout)

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def expect_ack_ok(ack, what):
    expect(ack.get("ok") is True, "%s: expected ok ack, got %s" % (what, json.dumps(ack)))


def expect_ack_error(ack, kind, what):
    expect(ack.get("ok") is False and ack.get("error", {}).get("kind") == kind,
           "%s: expected ack ok:false kind %s, got %s" % (what, kind, json.dumps(ack)))


def published_seqs(events, stream, ok):
    """Expands published events (single seq or from/to ranges) into seqs."""
    seqs = []
    for e in events:
        if e["event"] != "published" or e.get("stream") != stream or e.get("ok") is not ok:
            continue
        if "seq" in e:
            seqs.append(e["seq"])
        else:
            seqs.extend(range(e["from"], e["to"] + 1))
    return seqs


def main():
    driver_bin = find_driver()
    server_bin = os.environ.get("NATS_SERVER") or shutil.which("nats-server")
    if not server_bin or not os.path.exists(server_bin):
        sys.exit("driver-smoke: nats-server not found (set NATS_SERVER to its path)")
    if not os.path.exists(driver_bin):
        sys.exit("driver-smoke: driver %s not found" % driver_bin)
    tmp = tempfile.mkdtemp(prefix="driver-smoke-")
    servers, drivers = [], []
    passed = []

    def ok(msg):
        passed.append(msg)
        print("PASS  " + msg, flush=True)

    def new_driver(name):
        d = Driver(driver_bin, tmp, name)
        drivers.append(d)
        return d

    def new_server(name, **kw):
        s = Server(server_bin, tmp, name, free_port(), **kw)
        servers.append(s)
        return s

    try:
        print("driver: %s\nserver: %s\nlogs:   %s" % (driver_bin, server_bin, tmp), flush=True)
        s1 = new_server("s1")
        s1.start()

        # --- hello -----------------------------------------------------------
        a = new_driver("A")
        hello = a.wait_for(lambda e: e["event"] == "hello", "hello")
        expect(hello.get("protocol") == 1 and hello.get("library") == "nats.c",
               "hello: %s" % json.dumps(hello))
        caps = set(hello.get("capabilities", []))
        for c in ("publish", "subscribe", "request", "reply", "drain", "lame_duck",
                  "discovered_servers", "retry_on_failed_connect"):
            expect(c in caps, "hello lacks capability %s" % c)
        expect("service" not in caps, "hello claims 'service'")
        ok("hello: nats.c %s, capabilities %s" % (hello.get("library_version"),
                                                  ",".join(hello["capabilities"])))

        # --- bad input -------------------------------------------------------
        m = a.mark()
        a.send_raw("this is not json")
        a.wait_for(lambda e: e["event"] == "log", "log event for a non-JSON line", since=m)
        expect_ack_error(a.call("frobnicate"), "other", "unknown op")
        expect_ack_error(a.call("service", name="svc", version="1.0.0", endpoints=[]), "other",
                         "service op")
        expect_ack_error(a.call("publish", subject="x"), "other", "publish before connect")
        ok("bad input: non-JSON line -> log; unknown op, service, publish before connect -> ack ok:false other")

        # --- connect ---------------------------------------------------------
        m = a.mark()
        ack = a.call("connect", servers=[s1.url], name="smoke-A",
                     options={"max_reconnects": -1, "reconnect_wait_ms": 100,
                              "reconnect_jitter_ms": 10, "ping_interval_ms": 5000,
                              "connect_timeout_ms": 2000, "drain_timeout_ms": 3000})
        expect_ack_ok(ack, "connect A")
        conn = a.wait_for(lambda e: e["event"] == "connected", "connected", since=m)
        expect(conn.get("url") == s1.url, "connected url %r" % conn.get("url"))
        expect_ack_error(a.call("connect", servers=[s1.url], options={"no_such_option": 1}),
                         "other", "connect with unknown option")
        ok("connect: ack ok + connected %s" % conn["url"])

        # --- subscribe + publish 100 ----------------------------------------
        expect_ack_ok(a.call("subscribe", subject="smoke.pub", sub="s1"), "subscribe")
        m = a.mark()
        ack = a.call("publish", subject="smoke.pub", stream="p1", count=100, payload_bytes=64)
        expect_ack_ok(ack, "publish 100")
        expect(ack.get("succeeded") == 100, "publish ack: %s" % json.dumps(ack))
        a.wait_for(lambda e: e["event"] == "message" and e.get("stream") == "p1" and e.get("seq") == 100,
                   "message seq 100", since=m)
        time.sleep(0.2)
        msgs = a.select(lambda e: e["event"] == "message" and e.get("sub") == "s1", since=m)
        seqs = [e["seq"] for e in msgs]
        expect(seqs == list(range(1, 101)), "message seqs: %s" % seqs)
        expect(all(e.get("stream") == "p1" and e.get("subject") == "smoke.pub" and e.get("bytes") == 64
                   for e in msgs), "message fields: %s" % json.dumps(msgs[0]))
        pub = published_seqs(a.select(lambda e: True, since=m), "p1", True)
        expect(sorted(pub) == list(range(1, 101)), "published seqs: %s" % pub)
        n_pub_events = len(a.select(lambda e: e["event"] == "published", since=m))
        ok("subscribe + publish count 100: 100 message events (seq 1..100), "
           "published seqs 1..100 in %d event(s)" % n_pub_events)

        m = a.mark()
        t0 = time.monotonic()
        ack = a.call("publish", subject="smoke.pub", stream="p2", count=20, rate_per_s=100)
        took = time.monotonic() - t0
        expect_ack_ok(ack, "rate-limited publish")
        per_seq = a.select(lambda e: e["event"] == "published" and e.get("stream") == "p2", since=m)
        expect([e.get("seq") for e in per_seq] == list(range(1, 21)), "rate publish events: %s" % per_seq)
        expect(took >= 0.15, "20 messages at 100/s took only %.3fs" % took)
        ok("publish rate_per_s 100, count 20: %.2fs, one published event per seq" % took)

        # --- request / reply across two drivers --------------------------------
        b = new_driver("B")
        expect_ack_ok(b.call("connect", servers=[s1.url], name="smoke-B",
                             options={"max_reconnects": -1, "reconnect_wait_ms": 100}), "connect B")
        expect_ack_ok(b.call("reply", subject="smoke.svc"), "reply")
        m = a.mark()
        ack = a.call("request", subject="smoke.svc", stream="r1", count=3, timeout_ms=2000,
                     interval_ms=20)
        expect_ack_ok(ack, "request")
        res = a.select(lambda e: e["event"] == "request_result" and e.get("stream") == "r1", since=m)
        expect([(e["seq"], e["ok"], e.get("reply_seq")) for e in res] == [(1, True, 1), (2, True, 2), (3, True, 3)],
               "request results: %s" % res)
        expect(all(isinstance(e.get("latency_ns"), int) and e["latency_ns"] > 0 for e in res),
               "latency_ns: %s" % res)
        ok("request count 3 answered by reply on driver B: ok, latencies %s us" %
           [e["latency_ns"] // 1000 for e in res])

        m = a.mark()
        ack = a.call("request", subject="smoke.nobody", stream="r2", count=1, timeout_ms=1000)
        expect_ack_error(ack, "no_responders", "request without replier")
        res = a.wait_for(lambda e: e["event"] == "request_result" and e.get("stream") == "r2",
                         "request_result r2", since=m)
        expect(res["ok"] is False and res["error"]["kind"] == "no_responders"
               and res["error"].get("native") == "NATS_NO_RESPONDERS", "no responders: %s" % res)
        ok("request with no replier: request_result ok:false no_responders (%s)" % res["error"]["message"])

        expect_ack_ok(a.call("flush", timeout_ms=2000), "flush")
        ok("flush: ack ok")

        # --- a connection with a tiny reconnect buffer -----------------------------
        c = new_driver("C")
        expect_ack_ok(c.call("connect", servers=[s1.url], name="smoke-C",
                             options={"max_reconnects": -1, "reconnect_wait_ms": 100,
                                      "reconnect_buffer_bytes": 64}), "connect C")

        # --- server stop -> disconnected; publish into the reconnect buffer ------
        ma, mc = a.mark(), c.mark()
        s1.stop()
        d = a.wait_for(lambda e: e["event"] == "disconnected", "disconnected", since=ma)
        c.wait_for(lambda e: e["event"] == "disconnected", "disconnected (C)", since=mc)
        ok("server SIGTERM: disconnected %s" % json.dumps({k: v for k, v in d.items() if k != "mono_ns"}))

        ack = c.call("publish", subject="smoke.buf", stream="buf", count=10)
        expect_ack_error(ack, "reconnect_buffer_exceeded", "publish beyond the reconnect buffer")
        failed = c.select(lambda e: e["event"] == "published" and e.get("stream") == "buf"
                          and e.get("ok") is False, since=mc)
        expect(failed and all(e["error"]["kind"] == "reconnect_buffer_exceeded"
                              and e["error"].get("native") == "NATS_INSUFFICIENT_BUFFER" for e in failed),
               "buffer errors: %s" % failed)
        okseqs = published_seqs(c.select(lambda e: True, since=mc), "buf", True)
        badseqs = published_seqs(c.select(lambda e: True, since=mc), "buf", False)
        ok("reconnect_buffer_bytes 64 while disconnected: seqs %s buffered, %s failed with "
           "reconnect_buffer_exceeded" % (okseqs, badseqs))

        # --- server back -> reconnected ---------------------------------------------
        s1.start()
        r = a.wait_for(lambda e: e["event"] == "reconnected", "reconnected", since=ma)
        c.wait_for(lambda e: e["event"] == "reconnected", "reconnected (C)", since=mc)
        ok("server restarted: reconnected %s" % r.get("url"))

        m = a.mark()
        expect_ack_ok(a.call("stats"), "stats")
        st = a.wait_for(lambda e: e["event"] == "stats", "stats", since=m)
        expect(st["reconnects"] >= 1 and st["out_msgs"] >= 120 and st["in_msgs"] >= 120,
               "stats: %s" % st)
        ok("stats: in_msgs %d out_msgs %d reconnects %d" % (st["in_msgs"], st["out_msgs"], st["reconnects"]))

        # --- connect to a dead server ------------------------------------------------
        dead = "nats://127.0.0.1:%d" % free_port()
        dd = new_driver("D")
        ack = dd.call("connect", servers=[dead], options={"allow_reconnect": False, "max_reconnects": 0,
                                                          "connect_timeout_ms": 1000})
        expect_ack_error(ack, "no_servers", "connect to a dead server")
        ok("connect to dead server: ack ok:false no_servers (%s, %s)" % (
            ack["error"]["message"], ack["error"].get("native")))

        # --- retry_on_failed_connect: pending, then connected -------------------------------
        s2 = new_server("s2", cluster_port=free_port())
        e = new_driver("E")
        me = e.mark()
        ack = e.call("connect", servers=[s2.url], name="smoke-E",
                     options={"retry_on_failed_connect": True, "max_reconnects": -1,
                              "reconnect_wait_ms": 100})
        expect_ack_ok(ack, "retry_on_failed_connect")
        expect(ack.get("pending") is True, "connect ack not pending: %s" % ack)
        expect(not e.select(lambda x: x["event"] == "connected", since=me), "connected before the server ran")
        s2.start()
        conn = e.wait_for(lambda x: x["event"] == "connected", "connected after server start", since=me)
        ok("retry_on_failed_connect: ack ok pending:true, connected %s once the server started" % conn["url"])

        # --- discovered servers and lame duck --------------------------------------------------
        me = e.mark()
        s3 = new_server("s3", cluster_port=free_port(),
                        routes=["nats://127.0.0.1:%d" % s2.cluster_port])
        s3.start()
        disc = e.wait_for(lambda x: x["event"] == "discovered_servers", "discovered_servers", since=me)
        expect(any(str(s3.port) in u for u in disc.get("urls", [])), "discovered: %s" % disc)
        ok("discovered_servers: %s" % disc["urls"])
        s2.signal(signal.SIGUSR2)  # lame duck mode
        e.wait_for(lambda x: x["event"] == "lame_duck", "lame_duck", since=me)
        ok("lame duck (SIGUSR2 to the server): lame_duck event")

        # --- drain ---------------------------------------------------------------------------
        mb = b.mark()
        expect_ack_ok(b.call("drain", timeout=15), "drain")
        b.wait_for(lambda x: x["event"] == "closed", "closed after drain", since=mb)
        ok("drain: closed, then ack ok")

        # --- EOF on stdin -> clean exit 0 ------------------------------------------------------------
        ma = a.mark()
        for d in drivers:
            d.close_stdin()
        for d in drivers:
            try:
                rc = d.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                raise CheckFailed("driver %s did not exit after EOF" % d.name)
            expect(rc == 0, "driver %s exit code %d" % (d.name, rc))
            d.reader.join(2)
            expect(not d.bad_lines, "driver %s wrote non-event lines: %s" % (d.name, d.bad_lines[:3]))
        a.wait_for(lambda x: x["event"] == "closed", "closed on EOF", since=ma, timeout=1)
        ok("EOF on stdin: connections closed, all %d drivers exited 0" % len(drivers))

        print("driver-smoke: all %d checks passed" % len(passed))
        return 0
    except CheckFailed as err:
        print("FAIL  %s" % err, flush=True)
        print("driver-smoke: FAILED after %d passed checks (logs in %s)" % (len(passed), tmp))
        return 1
    finally:
        for d in drivers:
            d.kill()
        for s in servers:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
