#!/usr/bin/env python3
"""Open many idle NATS client connections, hold them, and check they survive.

    idle_connections.py HOST:PORT [--count 10000] [--hold 5] [--sample 100]
                        [--concurrency 1000] [--timeout 60] [--while-holding "COMMAND"]

Each connection does the NATS handshake by hand (read INFO, send CONNECT + PING, read PONG)
on non-blocking sockets multiplexed with selectors (epoll), so 10,000 finish in about a second.
The connections are then held open for --hold seconds; server PINGs are answered so the server
never drops them as stale. While holding, the optional --while-holding shell command runs
(e.g. to read a proxy's VmRSS from /proc/PID/status); its stripped stdout lands in the JSON.
Finally a random sample of connections gets one more PING and must answer PONG.

Prints one JSON line:
  {"requested":N,"established":E,"alive_after_hold":A,"seconds_to_establish":S,
   "sampled":K,"closed_during_hold":C,"hold_seconds":H,"errors":{...},
   "while_holding":"...","while_holding_rc":0}
Exit status: 0 when every connection was established, every sampled one answered and the
--while-holding command (if any) exited 0; 1 otherwise (the JSON is still printed); 2 for
usage errors or a file-descriptor limit too low for --count (nothing is opened then).
Standard library only.
"""
import argparse
import collections
import errno
import json
import os
import random
import resource
import selectors
import socket
import subprocess
import sys
import threading
import time

CONNECT = b'CONNECT {"verbose":false,"pedantic":false,"name":"idle"}\r\nPING\r\n'
FD_MARGIN = 64  # stdio, epoll, the --while-holding pipes, Python's own files

# Connection states
CONNECTING, WAIT_INFO, WAIT_PONG, ESTABLISHED, VERIFYING, VERIFIED, CLOSED = range(7)


class Conn:
    __slots__ = ("sock", "state", "buf", "fd", "attempt", "started")

    def __init__(self, sock, attempt):
        self.sock = sock
        self.fd = sock.fileno()
        self.state = CONNECTING
        self.buf = b""
        self.attempt = attempt
        self.started = time.monotonic()


def parse_target(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    elif hard == resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY:
        # An infinite hard limit is capped by fs.nr_open; ask for what we need.
        want = max(soft, needed)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and needed > soft:
        print(
            f"idle_connections: cannot hold {needed - FD_MARGIN} connections: RLIMIT_NOFILE is "
            f"{soft} (soft, raised to the hard limit {hard}) and {needed} descriptors are needed "
            f"({FD_MARGIN} kept in reserve). Raise the hard limit first (as root with "
            f"CAP_SYS_RESOURCE: ulimit -Hn {needed}) or lower --count.",
            file=sys.stderr,
        )
        sys.exit(2)
    return soft, hard


def lines(conn):
    """Yield complete protocol lines from conn.buf, leaving any partial line behind."""
    while True:
        i = conn.buf.find(b"\r\n")
        if i < 0:
            return
        line, conn.buf = conn.buf[:i], conn.buf[i + 2:]
        yield line


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("target", type=parse_target, metavar="HOST:PORT")
    ap.add_argument("-n", "--count", type=int, default=10000, help="connections to open (default 10000)")
    ap.add_argument("--hold", type=float, default=5.0, help="seconds to hold them open (default 5)")
    ap.add_argument("--sample", type=int, default=100,
                    help="connections to PING after the hold; 0 = all (default 100)")
    ap.add_argument("--concurrency", type=int, default=1000,
                    help="handshakes in flight at once (default 1000)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="give up establishing after this many seconds (default 60)")
    ap.add_argument("--handshake-timeout", type=float, default=3.0,
                    help="seconds one handshake may take before it is abandoned and retried (default 3)")
    ap.add_argument("--retries", type=int, default=3,
                    help="new attempts for a connection whose handshake timed out (default 3)")
    ap.add_argument("--verify-timeout", type=float, default=10.0,
                    help="seconds to wait for the sample's PONGs (default 10)")
    ap.add_argument("--while-holding", metavar="COMMAND",
                    help="shell command run once all connections are up; stdout goes into the JSON")
    ap.add_argument("--command-timeout", type=float, default=30.0,
                    help="seconds allowed for --while-holding (default 30)")
    args = ap.parse_args()
    if args.count < 1 or args.concurrency < 1 or args.hold < 0 or args.sample < 0:
        ap.error("--count and --concurrency must be >= 1, --hold and --sample >= 0")

    raise_fd_limit(args.count + FD_MARGIN)
    host, port = args.target
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    sel = selectors.DefaultSelector()
    conns = {}  # fd -> Conn, every socket still open
    established = []  # Conn objects that completed the handshake, in order
    errors = collections.Counter()
    to_open = args.count
    in_flight = 0
    retry_queue = collections.deque()  # attempt numbers of connections to open again
    handshaking = collections.deque()  # Conns in the order they were opened, for timeouts
    retries_used = 0

    def close(conn, reason=None):
        nonlocal in_flight
        if conn.state in (CONNECTING, WAIT_INFO, WAIT_PONG):
            in_flight -= 1
        if reason:
            errors[reason] += 1
        try:
            sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conns.pop(conn.fd, None)
        conn.sock.close()
        conn.state = CLOSED

    def open_one():
        nonlocal in_flight, to_open
        if retry_queue:
            attempt = retry_queue.popleft()
        else:
            to_open -= 1
            attempt = 1
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
        except OSError as e:
            errors["socket: " + (errno.errorcode.get(e.errno, str(e.errno)))] += 1
            return
        s.setblocking(False)
        c = Conn(s, attempt)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            errors["connect: " + errno.errorcode.get(rc, str(rc))] += 1
            s.close()
            return
        conns[c.fd] = c
        in_flight += 1
        handshaking.append(c)
        sel.register(s, selectors.EVENT_WRITE, c)

    def expire_handshakes(now):
        """Abandon handshakes older than --handshake-timeout and queue a new attempt.

        A listener whose accept queue overflows (small listen backlog) can leave a client socket
        ESTABLISHED on our side with no server socket behind it (the final ACK of a SYN-cookie
        handshake is dropped); NATS servers speak first, so that connection would wait forever.
        Real clients time out and reconnect; so do we, and the JSON counts the retries."""
        nonlocal retries_used
        while handshaking and (handshaking[0].state not in (CONNECTING, WAIT_INFO, WAIT_PONG)
                               or now - handshaking[0].started > args.handshake_timeout):
            c = handshaking.popleft()
            if c.state in (CONNECTING, WAIT_INFO, WAIT_PONG):
                if c.attempt <= args.retries:
                    close(c)
                    retry_queue.append(c.attempt + 1)
                    retries_used += 1
                else:
                    close(c, "handshake timeout")

    def send(conn, data):
        try:
            n = conn.sock.send(data)
        except OSError as e:
            close(conn, "send: " + errno.errorcode.get(e.errno, str(e.errno)))
            return False
        if n != len(data):  # a few dozen bytes into an empty socket buffer: never partial in practice
            close(conn, "send: partial write")
            return False
        return True

    def on_event(conn, mask):
        """Advance one connection's state machine on a readiness event."""
        nonlocal in_flight
        if conn.state == CONNECTING:
            err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                close(conn, "connect: " + errno.errorcode.get(err, str(err)))
                return
            conn.state = WAIT_INFO
            sel.modify(conn.sock, selectors.EVENT_READ, conn)
            return
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            close(conn, "recv: " + errno.errorcode.get(e.errno, str(e.errno)))
            return
        if not data:
            where = {WAIT_INFO: "before INFO", WAIT_PONG: "during handshake"}.get(conn.state, "while idle")
            close(conn, "closed by peer " + where)
            return
        conn.buf += data
        for line in lines(conn):
            if line.startswith(b"-ERR"):
                close(conn, line.decode("utf-8", "replace"))
                return
            if line == b"PING":
                if not send(conn, b"PONG\r\n"):
                    return
            elif line.startswith(b"INFO "):
                if conn.state == WAIT_INFO:
                    if not send(conn, CONNECT):
                        return
                    conn.state = WAIT_PONG
            elif line == b"PONG":
                if conn.state == WAIT_PONG:
                    conn.state = ESTABLISHED
                    in_flight -= 1
                    established.append(conn)
                elif conn.state == VERIFYING:
                    conn.state = VERIFIED
            elif line == b"+OK":
                pass
            elif conn.state == WAIT_INFO:
                close(conn, "protocol: expected INFO, got " + line[:60].decode("utf-8", "replace"))
                return
        if len(conn.buf) > 1 << 20:
            close(conn, "protocol: line too long")

    def pump(timeout):
        for key, mask in sel.select(timeout):
            on_event(key.data, mask)

    # ---- establish ----
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    t_last = t0
    while to_open > 0 or retry_queue or in_flight > 0:
        while (to_open > 0 or retry_queue) and in_flight < args.concurrency:
            open_one()
        before = len(established)
        pump(0.05)
        if len(established) != before:
            t_last = time.monotonic()
        expire_handshakes(time.monotonic())
        if time.monotonic() > deadline:
            for c in list(conns.values()):
                if c.state in (CONNECTING, WAIT_INFO, WAIT_PONG):
                    close(c, "timeout establishing")
            if to_open + len(retry_queue):
                errors["not attempted (timeout)"] += to_open + len(retry_queue)
            to_open = 0
            retry_queue.clear()
            break
    n_established = len(established)
    seconds_to_establish = t_last - t0

    # ---- hold (and run the probe command meanwhile) ----
    cmd_result = {}

    def run_command():
        try:
            p = subprocess.run(args.while_holding, shell=True, capture_output=True, text=True,
                               timeout=args.command_timeout)
            cmd_result["stdout"] = p.stdout.strip()
            cmd_result["rc"] = p.returncode
            if p.stderr.strip():
                print("idle_connections: --while-holding stderr: " + p.stderr.strip(), file=sys.stderr)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            cmd_result["stdout"] = out.strip()
            cmd_result["rc"] = "timeout"

    t_hold = time.monotonic()
    cmd_thread = None
    if args.while_holding:
        cmd_thread = threading.Thread(target=run_command, daemon=True)
        cmd_thread.start()
    while time.monotonic() - t_hold < args.hold or (cmd_thread and cmd_thread.is_alive()):
        pump(0.1)
    hold_seconds = time.monotonic() - t_hold
    closed_during_hold = sum(1 for c in established if c.state == CLOSED)

    # ---- verify a sample ----
    k = n_established if args.sample == 0 else min(args.sample, n_established)
    sample = random.sample(established, k)
    for c in sample:
        if c.state == ESTABLISHED and send(c, b"PING\r\n"):
            c.state = VERIFYING
    verify_deadline = time.monotonic() + args.verify_timeout
    while any(c.state == VERIFYING for c in sample) and time.monotonic() < verify_deadline:
        pump(0.05)
    alive = sum(1 for c in sample if c.state == VERIFIED)

    for c in list(conns.values()):
        close(c)
    sel.close()

    result = {
        "requested": args.count,
        "established": n_established,
        "alive_after_hold": alive,
        "seconds_to_establish": round(seconds_to_establish, 3),
        "sampled": k,
        "closed_during_hold": closed_during_hold,
        "handshake_retries": retries_used,
        "hold_seconds": round(hold_seconds, 3),
        "errors": dict(errors),
    }
    if args.while_holding:
        result["while_holding"] = cmd_result.get("stdout", "")
        result["while_holding_rc"] = cmd_result.get("rc")
    print(json.dumps(result), flush=True)

    ok = n_established == args.count and alive == k and (not args.while_holding or cmd_result.get("rc") == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
