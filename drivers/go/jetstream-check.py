#!/usr/bin/env python3
"""Self-checking test of the go driver's JetStream ops (DRIVER-PROTOCOL 1.1) with real nats-servers.

For each server binary given (default: $NATS_SERVER, else nats-server on PATH) it starts a JetStream
server on a free loopback port with a temporary store, creates the streams and durable consumers itself
over $JS.API (the driver never creates them), drives the driver over stdin/stdout and checks:

  - hello: protocol 1, protocol_minor 1, capability jetstream;
  - js_publish of 1000 messages at 500/s: all js_acked, js_seq 1..1000 in step with seq, call_ns on each;
  - a pull and a push durable each get all 1000 with seq = js_seq = consumer_seq, delivered 1;
  - msg_id: publishing the same ids again is acked with duplicate true;
  - a subject without a stream: js_publish_failed no_responders; a wrong js_stream: stream_not_found;
  - js_consume of a missing durable: consumer_not_found; of a missing stream: stream_not_found;
  - ack:false: redeliveries after ack_wait with delivered 2, redelivered true (pull and push);
  - a deleted pull consumer: js_consumer_error consumer_deleted; a deleted push consumer with idle
    heartbeats: heartbeats_missed;
  - the server stopped mid-publish and restarted on the same store: the failures are timeout,
    no_responders or connection kinds, later publishes succeed, both consumers see every stream
    sequence without a gap;
  - the mutant js-ack-before-process loses messages 100, 200, ... 1000, all acknowledged.

Exits 1 on any failed check, 2 when the driver or a server is missing. Kills every process it starts
and removes its temporary folder. Python 3 standard library only.

Usage:
    drivers/go/jetstream-check.py [--server BINARY]... [DRIVER]

DRIVER defaults to .build/drivers/natsfault-driver-go (scripts/setup builds it).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAILED = []


def check(cond, what, detail=""):
    print(("PASS  " if cond else "FAIL  ") + what + (f": {detail}" if detail else ""), flush=True)
    if not cond:
        FAILED.append(what)
    return cond


def free_port(start=24300):
    for port in range(start, start + 500):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("jetstream-check: no free loopback port")


class Server:
    def __init__(self, binary, store):
        self.binary, self.store, self.port, self.p = binary, store, free_port(), None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self):
        self.p = subprocess.Popen([self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", self.store],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                # Ready when JetStream answers (not only when the port is open).
                Api(self.port).request("$JS.API.INFO", None)
                return
            except (OSError, ValueError):
                time.sleep(0.05)
        raise SystemExit(f"jetstream-check: {self.binary} did not start on {self.url}")

    def stop(self):
        if self.p:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
            self.p = None


class Api:
    """Just enough of the NATS protocol for $JS.API requests."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), 2)
        self.s.settimeout(5)
        self.f = self.s.makefile("rb")
        if not self.f.readline().startswith(b"INFO"):
            raise ValueError("no INFO")
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.jscheck.* 1\r\n')
        self.n = 0

    def request(self, subject, body):
        self.n += 1
        data = json.dumps(body).encode() if body is not None else b""
        self.s.sendall(f"PUB {subject} _INBOX.jscheck.{self.n} {len(data)}\r\n".encode() + data + b"\r\n")
        try:
            while True:
                line = self.f.readline()
                if not line:
                    raise ValueError("connection closed")
                if line.startswith(b"PING"):
                    self.s.sendall(b"PONG\r\n")
                elif line.startswith(b"MSG"):
                    size = int(line.split()[-1])
                    return json.loads(self.f.read(size + 2)[:-2])
                elif line.startswith(b"-ERR"):
                    raise ValueError(line.decode().strip())
        finally:
            self.close()

    def close(self):
        self.f.close()
        self.s.close()


def api(server, subject, body=None):
    return Api(server.port).request(subject, body)


def make_stream(server, name, subjects):
    r = api(server, f"$JS.API.STREAM.CREATE.{name}", {"name": name, "subjects": subjects, "storage": "file"})
    assert "error" not in r, r


def make_durable(server, stream, durable, **config):
    c = {"durable_name": durable, "ack_policy": "explicit", "deliver_policy": "all"}
    c.update(config)
    r = api(server, f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}", {"stream_name": stream, "config": c})
    assert "error" not in r, r


class Driver:
    def __init__(self, command, stderr):
        self.p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                  text=True, bufsize=1)
        self.events, self.cond, self.next_id = [], threading.Condition(), 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            with self.cond:
                self.events.append(json.loads(line))
                self.cond.notify_all()

    def wait(self, pred, timeout):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                if time.time() >= deadline:
                    return None
                self.cond.wait(deadline - time.time())

    def send(self, op, **fields):
        i, self.next_id = self.next_id, self.next_id + 1
        self.p.stdin.write(json.dumps({"id": i, "op": op, **fields}) + "\n")
        self.p.stdin.flush()
        return i

    def ack(self, i, timeout=30):
        return self.wait(lambda e: e["event"] == "ack" and e.get("id") == i, timeout) or {"ok": None, "timeout": True}

    def call(self, op, timeout=30, **fields):
        return self.ack(self.send(op, **fields), timeout)

    def of(self, name, **match):
        with self.cond:
            return [e for e in self.events if e["event"] == name and all(e.get(k) == v for k, v in match.items())]

    def until(self, pred, timeout):
        """Waits until pred() holds (re-checked as events arrive)."""
        deadline = time.time() + timeout
        with self.cond:
            while not pred():
                if time.time() >= deadline:
                    return False
                self.cond.wait(min(0.2, deadline - time.time()))
        return True

    def exit(self):
        if self.p.poll() is None:
            try:
                self.call("exit", timeout=10)
                self.p.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()


def acks(d, stream):
    """(seq, js_seq, duplicate) of every js_ack of `stream`, ranges expanded."""
    out = []
    for e in d.of("js_ack", stream=stream):
        if "from" in e:
            out += [(e["from"] + i, e["js_seq_from"] + i, e["duplicate"]) for i in range(e["to"] - e["from"] + 1)]
        else:
            out.append((e["seq"], e["js_seq"], e["duplicate"]))
    return out


def run(driver, binary, tmp):
    print(f"== {binary}", flush=True)
    stderr = open(os.path.join(tmp, "driver.stderr"), "a")
    server = Server(binary, os.path.join(tmp, "store"))
    drivers = []

    def new_driver(*flags):
        d = Driver([driver, *flags], stderr)
        drivers.append(d)
        return d

    try:
        server.start()
        make_stream(server, "S", ["s.>"])
        make_durable(server, "S", "pull1")
        make_durable(server, "S", "push1", deliver_subject="deliver.push1", idle_heartbeat=1_000_000_000,
                     flow_control=True)

        d = new_driver()
        hello = d.wait(lambda e: e["event"] == "hello", 10) or {}
        check(hello.get("protocol") == 1 and hello.get("protocol_minor") == 1
              and "jetstream" in hello.get("capabilities", []), "hello", json.dumps(hello))
        d.call("connect", servers=[server.url], name="jscheck", options={"max_reconnects": -1, "reconnect_wait_ms": 100})
        a1 = d.call("js_consume", sub="pull", js_stream="S", durable="pull1")
        a2 = d.call("js_consume", sub="push", js_stream="S", durable="push1", mode="push")
        check(a1.get("ok") and a2.get("ok"), "js_consume pull and push bind", f"{a1} {a2}")

        t0 = time.time()
        a = d.call("js_publish", subject="s.a", stream="p", count=1000, rate_per_s=500, timeout=60)
        took = time.time() - t0
        got = acks(d, "p")
        calls = [e for e in d.of("js_ack", stream="p") if not isinstance(e.get("call_ns"), int)]
        check(a.get("ok") and a.get("succeeded") == 1000 and a.get("failed") == 0 and 1.9 < took < 4,
              "js_publish 1000 at 500/s", f"{a}, {took:.2f} s")
        check(sorted(got) == [(i, i, False) for i in range(1, 1001)] and not calls,
              "js_ack: js_seq 1..1000 in step with seq, call_ns on each", f"{len(got)} acked")
        for sub in ("pull", "push"):
            ok = d.until(lambda: len(d.of("js_message", sub=sub)) >= 1000, 10)
            m = d.of("js_message", sub=sub)
            good = all(x["seq"] == x["js_seq"] == x["consumer_seq"] and x["delivered"] == 1
                       and x["redelivered"] is False and x["js_stream"] == "S" and x["stream"] == "p" for x in m)
            check(ok and len(m) == 1000 and sorted(x["seq"] for x in m) == list(range(1, 1001)) and good,
                  f"{sub} consumer gets all 1000 with seq = js_seq = consumer_seq, delivered 1", f"{len(m)} messages")
        s1, s2 = d.call("js_stop", sub="pull"), d.call("js_stop", sub="push")
        infos = [api(server, f"$JS.API.CONSUMER.INFO.S.{c}") for c in ("pull1", "push1")]
        check(s1.get("ok") and s2.get("ok") and all(i.get("num_ack_pending") == 0 and i["delivered"]["stream_seq"] == 1000
                                                    for i in infos),
              "js_stop, every message acknowledged, durables kept",
              str([(i.get("num_ack_pending"), i.get("delivered")) for i in infos]))

        # msg_id deduplication, no stream, wrong stream
        make_stream(server, "D", ["d.>"])
        d.call("js_publish", subject="d.x", stream="m", count=3, msg_id=True, js_stream="D")
        d.call("js_publish", subject="d.x", stream="m", count=3, msg_id=True, js_stream="D")
        check(sorted(acks(d, "m")) == sorted([(i, i, False) for i in (1, 2, 3)] + [(i, i, True) for i in (1, 2, 3)]),
              "msg_id: republished ids acked as duplicate", str(acks(d, "m")))
        a = d.call("js_publish", subject="nostream.x", stream="n", count=1)
        f = d.of("js_publish_failed", stream="n")
        check(a.get("ok") is False and len(f) == 1 and f[0]["error"]["kind"] == "no_responders"
              and isinstance(f[0].get("call_ns"), int), "no stream: no_responders", json.dumps(f))
        a = d.call("js_publish", subject="s.a", stream="w", count=1, js_stream="NOPE")
        f = d.of("js_publish_failed", stream="w")
        check(len(f) == 1 and f[0]["error"]["kind"] == "stream_not_found", "wrong js_stream: stream_not_found", json.dumps(f))
        a = d.call("js_consume", sub="x", js_stream="S", durable="nope")
        check(a.get("ok") is False and a["error"]["kind"] == "consumer_not_found", "missing durable: consumer_not_found", json.dumps(a))
        a = d.call("js_consume", sub="x", js_stream="NOPE", durable="pull1")
        check(a.get("ok") is False and a["error"]["kind"] == "stream_not_found", "missing stream: stream_not_found", json.dumps(a))

        # ack:false: redeliveries after ack_wait
        make_stream(server, "R", ["r.>"])
        make_durable(server, "R", "rpull", ack_wait=1_000_000_000)
        make_durable(server, "R", "rpush", ack_wait=1_000_000_000, deliver_subject="deliver.rpush")
        d.call("js_publish", subject="r.x", stream="r", count=3)
        d.call("js_consume", sub="rpull", js_stream="R", durable="rpull", ack=False, fetch_timeout_ms=500)
        d.call("js_consume", sub="rpush", js_stream="R", durable="rpush", mode="push", ack=False)
        for sub in ("rpull", "rpush"):
            ok = d.until(lambda: len([x for x in d.of("js_message", sub=sub) if x["delivered"] == 2]) >= 3, 6)
            red = [x for x in d.of("js_message", sub=sub) if x["delivered"] == 2]
            check(ok and all(x["redelivered"] is True for x in red) and sorted(x["seq"] for x in red) == [1, 2, 3],
                  f"ack:false ({sub}): redelivered after ack_wait with delivered 2",
                  str([(x["seq"], x["consumer_seq"], x["delivered"]) for x in d.of("js_message", sub=sub)][:9]))
        d.call("js_stop", sub="rpull")
        d.call("js_stop", sub="rpush")

        # deleted consumers
        make_durable(server, "R", "dpull")
        make_durable(server, "R", "dpush", deliver_subject="deliver.dpush", idle_heartbeat=500_000_000)
        d.call("js_consume", sub="dpull", js_stream="R", durable="dpull", fetch_timeout_ms=3000)
        d.call("js_consume", sub="dpush", js_stream="R", durable="dpush", mode="push")
        time.sleep(0.5)
        api(server, "$JS.API.CONSUMER.DELETE.R.dpull")
        api(server, "$JS.API.CONSUMER.DELETE.R.dpush")
        ok = d.until(lambda: d.of("js_consumer_error", sub="dpull") and d.of("js_consumer_error", sub="dpush"), 6)
        e1, e2 = d.of("js_consumer_error", sub="dpull"), d.of("js_consumer_error", sub="dpush")
        check(ok and e1[0]["error"]["kind"] == "consumer_deleted", "deleted pull consumer: consumer_deleted", json.dumps(e1[:1]))
        check(ok and e2[0]["error"]["kind"] == "heartbeats_missed", "deleted push consumer: heartbeats_missed", json.dumps(e2[:1]))
        d.call("js_stop", sub="dpull")
        d.call("js_stop", sub="dpush")

        # server restart mid-publish
        make_stream(server, "T", ["t.>"])
        make_durable(server, "T", "tpull", ack_wait=5_000_000_000)
        make_durable(server, "T", "tpush", deliver_subject="deliver.tpush", idle_heartbeat=1_000_000_000,
                     flow_control=True, ack_wait=5_000_000_000)
        d.call("js_consume", sub="tpull", js_stream="T", durable="tpull", fetch_timeout_ms=500)
        d.call("js_consume", sub="tpush", js_stream="T", durable="tpush", mode="push")
        i = d.send("js_publish", subject="t.x", stream="t", count=1000, rate_per_s=500, js_stream="T")
        time.sleep(0.7)
        server.stop()
        time.sleep(4)
        server.start()
        a = d.ack(i, 60)
        fails = d.of("js_publish_failed", stream="t")
        ok_seqs = sorted(s for s, _, _ in acks(d, "t"))
        allowed = {"timeout", "no_responders", "io_error", "connection_closed", "stale_connection", "no_servers"}
        kinds = sorted({f["error"]["kind"] for f in fails})
        check(fails and set(kinds) <= allowed and all(isinstance(f.get("call_ns"), int) for f in fails),
              "restart: failed publishes are js_publish_failed with a timeout or connection kind",
              f"{len(fails)} failed ({kinds}), {len(ok_seqs)} acked")
        check(fails and ok_seqs and ok_seqs[-1] == 1000 and max(f["seq"] for f in fails) < 1000
              and len(ok_seqs) + len(fails) == 1000, "restart: later publishes succeed", f"ack {a}")
        last = api(server, "$JS.API.STREAM.INFO.T")["state"]["last_seq"]
        for sub in ("tpull", "tpush"):
            d.until(lambda: {x["js_seq"] for x in d.of("js_message", sub=sub)} >= set(range(1, last + 1)), 15)
            seen = {x["js_seq"] for x in d.of("js_message", sub=sub)}
            missing = sorted(set(range(1, last + 1)) - seen)
            check(not missing and set(ok_seqs) <= {x["seq"] for x in d.of("js_message", sub=sub)},
                  f"restart: {sub} resumes without gaps", f"stream last_seq {last}, missing {missing[:10]}")
        d.exit()

        # the mutant
        make_stream(server, "M", ["mm.>"])
        make_durable(server, "M", "mpull")
        make_durable(server, "M", "mpush", deliver_subject="deliver.mpush")
        m = new_driver("--mutant", "js-ack-before-process")
        m.call("connect", servers=[server.url], name="jscheck-mutant")
        m.call("js_consume", sub="mpull", js_stream="M", durable="mpull")
        m.call("js_consume", sub="mpush", js_stream="M", durable="mpush", mode="push")
        m.call("js_publish", subject="mm.x", stream="mu", count=1000)
        for sub, durable in (("mpull", "mpull"), ("mpush", "mpush")):
            m.until(lambda: len(m.of("js_message", sub=sub)) >= 990, 10)
            time.sleep(0.3)
            got = {x["seq"] for x in m.of("js_message", sub=sub)}
            info = api(server, f"$JS.API.CONSUMER.INFO.M.{durable}")
            check(sorted(set(range(1, 1001)) - got) == list(range(100, 1001, 100)) and info["num_ack_pending"] == 0
                  and info["ack_floor"]["stream_seq"] == 1000,
                  f"mutant js-ack-before-process ({sub}) loses 100, 200, ... 1000, all acked",
                  f"missing {sorted(set(range(1, 1001)) - got)}")
        m.exit()
    finally:
        for d in drivers:
            if d.p.poll() is None:
                d.p.kill()
                d.p.wait()
        server.stop()
        stderr.close()
        shutil.rmtree(os.path.join(tmp, "store"), ignore_errors=True)


def main():
    args, servers = sys.argv[1:], []
    while args[:1] == ["--server"] and len(args) >= 2:
        servers.append(args[1])
        args = args[2:]
    driver = args[0] if args else os.path.join(ROOT, ".build", "drivers", "natsfault-driver-go")
    if not servers:
        servers = [os.environ.get("NATS_SERVER") or shutil.which("nats-server") or ""]
    for b in [driver, *servers]:
        if not b or not os.access(b, os.X_OK):
            print(f"jetstream-check: not found or not executable: {b!r}", file=sys.stderr)
            sys.exit(2)
    tmp = tempfile.mkdtemp(prefix="natsfault-jscheck-")
    try:
        for binary in servers:
            run(driver, binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(FAILED)} failed" + (": " + ", ".join(FAILED) if FAILED else ""))
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
