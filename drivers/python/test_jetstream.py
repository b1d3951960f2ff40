#!/usr/bin/env python3
"""Self-checking test of the nats.py driver's JetStream ops (DRIVER-PROTOCOL 1.1) against real
nats-servers on 127.0.0.1. Exits 0 when every check passed, 1 when one failed, 3 when there is no
nats-server.

    python3 drivers/python/test_jetstream.py                       # every server natsfault installed
    python3 drivers/python/test_jetstream.py --server /usr/sbin/nats-server --server 2.15.1

For each server: js_publish at a rate (js_ack per message, js_seq in step), a pull and a push
consumer receiving everything once, msg-id duplicates, the error kinds (no_responders,
stream_not_found, consumer_not_found), redeliveries with ack:false, a server restart in the middle
of publishing (failures, then acks again, and the consumer resumes without gaps), a deleted pull
consumer, and the js-ack-before-process mutant dropping every 100th message. The test creates the
streams and consumers itself with nats-py, as natsfault does; the driver only binds to them.
"""

import asyncio
import glob
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

import nats
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "natsfault_driver.py")
CACHE = os.path.expanduser("~/.cache/natsfault/servers")

failures = []


def check(ok, what):
    print("  %s %s" % ("ok  " if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)
    return ok


# --------------------------------------------------------------------------
# A nats-server with JetStream, and the streams and consumers of a test.
# --------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, store):
        self.binary, self.store = binary, store
        self.port = free_port()
        self.proc = None
        self.url = "nats://127.0.0.1:%d" % self.port
        out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
        self.version = tuple(int(x) for x in out.split("v")[-1].strip().split(".")[:2])

    def start(self):
        self.proc = subprocess.Popen([self.binary, "-js", "-sd", self.store, "-p", str(self.port),
                                      "-a", "127.0.0.1"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not start on port %d" % self.port)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def js_admin(url, action):
    async def run():
        nc = await nats.connect(url)
        try:
            return await action(nc.jetstream())
        finally:
            await nc.close()
    return asyncio.run(run())


def make_stream(url, name, subject, consumers):
    """consumers: (durable, deliver_subject or None, ack_wait_s)."""
    async def action(js):
        await js.add_stream(StreamConfig(name=name, subjects=[subject], duplicate_window=120))
        for durable, deliver, ack_wait in consumers:
            await js.add_consumer(name, ConsumerConfig(
                durable_name=durable, deliver_subject=deliver, ack_policy=AckPolicy.EXPLICIT,
                ack_wait=ack_wait, max_ack_pending=20000))
    js_admin(url, action)


# --------------------------------------------------------------------------
# The driver under test.
# --------------------------------------------------------------------------

class Driver:
    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, DRIVER, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.events = []
        self.cond = threading.Condition()
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            e = json.loads(line)
            with self.cond:
                self.events.append(e)
                self.cond.notify_all()

    def send(self, op, **fields):
        cid = self.next_id
        self.next_id += 1
        fields.update(id=cid, op=op)
        self.proc.stdin.write((json.dumps(fields) + "\n").encode())
        self.proc.stdin.flush()
        return cid

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def ack(self, cid, timeout=30):
        return self.wait_for(lambda e: e["event"] == "ack" and e.get("id") == cid, timeout)

    def call(self, op, timeout=30, **fields):
        return self.ack(self.send(op, **fields), timeout)

    def of(self, event, **match):
        with self.cond:
            return [e for e in self.events if e["event"] == event
                    and all(e.get(k) == v for k, v in match.items())]

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def js_acks(driver, stream):
    """publish seq -> (js_stream, js_seq, duplicate), ranges expanded; every event has call_ns."""
    out = {}
    for e in driver.of("js_ack", stream=stream):
        assert "call_ns" in e, e
        if "from" in e:
            for i in range(e["to"] - e["from"] + 1):
                out[e["from"] + i] = (e["js_stream"], e["js_seq_from"] + i, e["duplicate"])
        else:
            out[e["seq"]] = (e["js_stream"], e["js_seq"], e["duplicate"])
    return out


def js_failed(driver, stream):
    out = {}
    for e in driver.of("js_publish_failed", stream=stream):
        assert "call_ns" in e, e
        for seq in (range(e["from"], e["to"] + 1) if "from" in e else [e["seq"]]):
            out[seq] = e["error"]["kind"]
    return out


def received(driver, sub, stream):
    return [e for e in driver.of("js_message", sub=sub) if e.get("stream") == stream]


# --------------------------------------------------------------------------
# The checks.
# --------------------------------------------------------------------------

def test_server(binary):
    store = tempfile.mkdtemp(prefix="natsfault-js-test-")
    server = Server(binary, store)
    print("nats-server %s (%s)" % (".".join(map(str, server.version)), binary), flush=True)
    drivers = []
    try:
        server.start()
        make_stream(server.url, "S1", "js.s1", [("P1", None, 30), ("PU1", "deliver.pu1", 30)])
        make_stream(server.url, "S2", "js.s2", [("R", None, 1), ("RU", "deliver.ru", 1)])
        make_stream(server.url, "S3", "js.s3", [("C3", None, 5)])
        make_stream(server.url, "S4", "js.s4", [("M", None, 1), ("MU", "deliver.mu", 1)])
        make_stream(server.url, "S5", "js.s5", [("GONE", None, 30)])

        d = Driver()
        drivers.append(d)
        hello = d.wait_for(lambda e: e["event"] == "hello", 10)
        check(hello and hello.get("protocol") == 1 and hello.get("protocol_minor") == 1
              and "jetstream" in hello.get("capabilities", []),
              "hello: protocol 1, protocol_minor 1, capability jetstream")
        check(d.call("connect", servers=[server.url],
                     options={"max_reconnects": -1, "reconnect_wait_ms": 250})["ok"], "connect")

        # Publish at 500/s, a pull and a push consumer.
        check(d.call("js_consume", sub="pull", js_stream="S1", durable="P1")["ok"], "js_consume pull")
        check(d.call("js_consume", sub="push", js_stream="S1", durable="PU1", mode="push")["ok"],
              "js_consume push")
        a = d.call("js_publish", subject="js.s1", stream="p", count=1000, rate_per_s=500,
                   msg_id=True, js_stream="S1")
        check(a["ok"] and a["succeeded"] == 1000, "js_publish 1000 at 500/s acked: %s" % a)
        acks = js_acks(d, "p")
        check(sorted(acks) == list(range(1, 1001))
              and all(v == ("S1", k, False) for k, v in acks.items()),
              "js_ack for publish 1..1000, js_seq 1..1000 in S1, no duplicate")
        for sub in ("pull", "push"):
            d.wait_for(lambda e: e["event"] == "js_message" and e["sub"] == sub
                       and e.get("seq") == 1000, 10)
            ms = received(d, sub, "p")
            check(sorted(m["seq"] for m in ms) == list(range(1, 1001))
                  and all(m["js_seq"] == m["seq"] and m["js_stream"] == "S1" for m in ms)
                  and [m["consumer_seq"] for m in ms] == list(range(1, 1001))
                  and all(m["delivered"] == 1 and m["redelivered"] is False for m in ms),
                  "%s consumer: 1000 messages once each, seq = js_seq = consumer_seq, delivered 1"
                  % sub)
        check(d.call("js_stop", sub="pull")["ok"] and d.call("js_stop", sub="push")["ok"],
              "js_stop both")

        # msg-id duplicates.
        a = d.call("js_publish", subject="js.s1", stream="p", count=3, msg_id=True, rate_per_s=100)
        dup = {e["seq"]: e for e in d.of("js_ack", stream="p") if e.get("duplicate")}
        check(a["ok"] and sorted(dup) == [1, 2, 3] and all(dup[s]["js_seq"] == s for s in dup),
              "republished msg ids 1..3: js_ack duplicate:true, js_seq 1..3")

        # Error kinds.
        a = d.call("js_publish", subject="nostream.x", stream="q", count=2)
        check(not a["ok"] and a["error"]["kind"] == "no_responders"
              and set(js_failed(d, "q").values()) == {"no_responders"},
              "a subject without a stream: js_publish_failed no_responders")
        a = d.call("js_publish", subject="js.s1", stream="w", count=2, js_stream="WRONG")
        check(not a["ok"] and set(js_failed(d, "w").values()) == {"stream_not_found"},
              "js_stream WRONG: js_publish_failed stream_not_found")
        a = d.call("js_consume", sub="x", js_stream="S1", durable="NOPE")
        check(not a["ok"] and a["error"]["kind"] == "consumer_not_found",
              "js_consume on a missing durable: consumer_not_found")
        a = d.call("js_consume", sub="x", js_stream="NOSTREAM", durable="P1")
        check(not a["ok"] and a["error"]["kind"] == "stream_not_found",
              "js_consume on a missing stream: stream_not_found")

        # ack:false: redelivered after ack_wait (1 s).
        for sub, durable, mode in (("rpull", "R", "pull"), ("rpush", "RU", "push")):
            check(d.call("js_consume", sub=sub, js_stream="S2", durable=durable, mode=mode,
                         ack=False)["ok"], "js_consume %s ack:false" % sub)
        check(d.call("js_publish", subject="js.s2", stream="r", count=5, rate_per_s=100)["ok"],
              "js_publish 5 to S2")
        time.sleep(1.8)
        for sub in ("rpull", "rpush"):
            d.call("js_stop", sub=sub)
            ms = received(d, sub, "r")
            first = sorted(m["seq"] for m in ms if m["delivered"] == 1 and not m["redelivered"])
            again = sorted(m["seq"] for m in ms if m["delivered"] == 2 and m["redelivered"])
            check(first == [1, 2, 3, 4, 5] and again == [1, 2, 3, 4, 5],
                  "%s: each message delivered 1, then again with delivered 2, redelivered true"
                  % sub)

        # A deleted pull consumer.
        check(d.call("js_consume", sub="gone", js_stream="S5", durable="GONE")["ok"],
              "js_consume GONE")
        js_admin(server.url, lambda js: js.delete_consumer("S5", "GONE"))
        err = d.wait_for(lambda e: e["event"] == "js_consumer_error" and e["sub"] == "gone", 4)
        if server.version >= (2, 10):
            check(err is not None and err["error"]["kind"] == "consumer_deleted",
                  "deleted pull consumer: js_consumer_error consumer_deleted (%s)"
                  % (err and err["error"]))
        else:
            # nats-server 2.9 sends no no-responders status to a pull request for a missing
            # consumer, and nats.py swallows the 409 Consumer Deleted: fetches only time out.
            check(err is None, "deleted pull consumer on nats-server 2.9: nothing reported")
        d.call("js_stop", sub="gone")

        # Server restart while publishing at 100/s: failures, then acks; the consumer resumes.
        check(d.call("js_consume", sub="c3", js_stream="S3", durable="C3")["ok"], "js_consume C3")
        cid = d.send("js_publish", subject="js.s3", stream="t", count=500, rate_per_s=100,
                     msg_id=True)
        time.sleep(1.5)
        server.stop()
        time.sleep(2.5)
        server.start()
        a = d.ack(cid, 30) or {"succeeded": -1, "failed": -1}
        acks, failed = js_acks(d, "t"), js_failed(d, "t")
        check(a["succeeded"] + a["failed"] == 500 and len(acks) == a["succeeded"]
              and len(failed) == a["failed"], "restart: js_publish acked with counts: %s" % a)
        check(len(failed) >= 1 and set(failed.values()) <= {
                  "timeout", "no_responders", "connection_closed", "io_error",
                  "reconnect_buffer_exceeded", "jetstream_not_enabled"},
              "restart: failures %s" % sorted(set(failed.values())))
        last_failed = max(failed, default=0)
        check(500 in acks and all(s in acks for s in range(last_failed + 1, 501)),
              "restart: every publish after the last failure (%d) acked" % last_failed)
        js_seqs = {v[1] for v in acks.values()}
        d.wait_for(lambda e: e["event"] == "js_message" and e["sub"] == "c3"
                   and e.get("js_seq") == max(js_seqs, default=0), 15)
        got = {m["js_seq"] for m in received(d, "c3", "t")}
        check(js_seqs and js_seqs <= got and got == set(range(1, max(got) + 1)),
              "restart: the consumer got every stored message, js_seq 1..%d without gaps"
              % max(got, default=0))
        d.call("js_stop", sub="c3")
        check(d.call("close")["ok"], "close")
        d.close()

        # The mutant: acked before it is reported, every 100th dropped (and never redelivered).
        m = Driver("--mutant", "js-ack-before-process")
        drivers.append(m)
        m.call("connect", servers=[server.url])
        for sub, durable, mode in (("mpull", "M", "pull"), ("mpush", "MU", "push")):
            m.call("js_consume", sub=sub, js_stream="S4", durable=durable, mode=mode)
        check(m.call("js_publish", subject="js.s4", stream="m", count=300)["ok"],
              "mutant: js_publish 300")
        time.sleep(2.5)  # past ack_wait: anything unacked would be redelivered
        for sub in ("mpull", "mpush"):
            ms = received(m, sub, "m")
            check(sorted(x["seq"] for x in ms) == [s for s in range(1, 301) if s % 100]
                  and all(x["delivered"] == 1 for x in ms),
                  "mutant %s: 297 reported, 100/200/300 missing and never redelivered" % sub)
        m.call("close")
        m.close()
    finally:
        for d in drivers:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
        server.stop()
        shutil.rmtree(store, ignore_errors=True)


def servers_from_args(args):
    if not args:
        found = sorted(glob.glob(os.path.join(CACHE, "*", "bin", "nats-server")))
        return found or [p for p in [shutil.which("nats-server")] if p]
    out = []
    while args:
        if args[0] != "--server" or len(args) < 2:
            sys.exit("usage: test_jetstream.py [--server PATH|VERSION]...")
        value = args[1]
        args = args[2:]
        path = value if os.sep in value else os.path.join(CACHE, value, "bin", "nats-server")
        out.append(path)
    return out


def main():
    servers = servers_from_args(sys.argv[1:])
    missing = [s for s in servers if not os.access(s, os.X_OK)]
    if not servers or missing:
        print("test_jetstream: no nats-server %s" % (missing or ""), file=sys.stderr)
        return 3
    started = time.monotonic()
    for binary in servers:
        test_server(binary)
    print("%d failed in %.0f s%s" % (len(failures), time.monotonic() - started,
                                      "".join("\n  " + f for f in failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
