#!/usr/bin/env python3
"""natsfault driver for nats.py (nats-py 2.16, asyncio): DRIVER-PROTOCOL v1.1 (v1 plus JetStream).

Commands arrive on stdin and events leave on stdout, one JSON object per line
(see docs/driver-protocol.md). stderr is free text. Python 3.11 stdlib plus
nats-py only. Start it as `python3 drivers/python/natsfault_driver.py`.

This mirrors the nats.c driver (Sources/natsfault-driver-c): the same ops,
event fields, payload format, batching of `published` ranges, acks with
succeeded/failed counts, and handling of bad input. Commands are carried out
in the order they arrive; `publish`, `request`, `js_publish` and `drain` run as
background tasks that ack when done, so a later `stats` or `close` is not held
up by them; `js_consume` acks once bound and consumes in a task of its own
until `js_stop`, `close` or exit. Where nats.py differs from nats.c, the driver reports what nats.py
does rather than papering over it (see the notes on `connect`).
"""

import asyncio
import json
import logging
import os
import select
import stat
import sys
import threading
import time
import traceback

try:
    import nats.js.errors as nats_js_errors
    import nats.micro
    from nats import errors as nats_errors
    from nats.aio.client import Client
    from nats.aio.client import __version__ as NATS_PY_VERSION
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("natsfault-driver-py: cannot import nats-py for %s: %s\n"
                     % (sys.executable, exc))
    sys.exit(2)

PROTOCOL = 1
PROTOCOL_MINOR = 1  # version 1.1: JetStream
LIBRARY = "nats.py"

CAPABILITIES = [
    "publish", "subscribe", "queue_subscribe", "request", "reply", "flush", "drain", "stats",
    "lame_duck", "discovered_servers", "retry_on_failed_connect", "reconnect_buffer",
    "no_randomize", "service", "jetstream",
    # Not claimed: "reconnect_jitter" and "ignore_discovered_servers" (nats.py has neither).
]
try:
    # nats.py signs the server's nonce with the nkeys package (PyPI's nkeys, installed by
    # scripts/setup); without it, creds files cannot be used, and the driver does not claim them.
    import nkeys  # noqa: F401
    CAPABILITIES.append("credentials")
except ImportError:
    pass

# Connect options of the protocol plus the nats.c driver's extensions.
KNOWN_CONNECT_OPTIONS = {
    "allow_reconnect", "max_reconnects", "reconnect_wait_ms", "reconnect_jitter_ms",
    "reconnect_buffer_bytes", "ping_interval_ms", "max_pings_out", "connect_timeout_ms",
    "retry_on_failed_connect", "no_randomize", "ignore_discovered_servers", "user", "password",
    "token", "drain_timeout_ms", "credentials_file",
    "max_pending_msgs", "fail_requests_on_disconnect", "no_echo",
}

# Mutants: deliberately broken variants of this driver, for scripts/mutants (docs/mutants.md). Each
# forces one defect a real client or its configuration can have, through nats.py's own options. One
# is enabled only by the command-line flag `--mutant NAME`, which natsfault never passes to a shipped
# driver: a normal run is never a mutant. (The other mutants are the go driver's: drivers/go/mutant.go.)
MUTANTS = {
    "pings-out-doubled": "notices a stale connection twice as late as configured (max_pings_out doubled)",
    "js-ack-before-process": "js_consume acknowledges each message before reporting it, and drops "
                             "every 100th message received (acked, never reported)",
}
mutant = None  # the defect this process has; None for the real driver


def parse_mutant_flag(args):
    """The mutant named by `--mutant NAME` in `args`, or None; SystemExit(2) for anything else."""
    if not args:
        return None
    if len(args) == 2 and args[0] == "--mutant" and args[1] in MUTANTS:
        return args[1]
    stderr_line("arguments %r: expected none, --list-mutants, or --mutant NAME with NAME one of %s"
                % (args, sorted(MUTANTS)))
    sys.exit(2)


# The nats.c driver's waits, kept the same here.
CLOSE_WAIT_S = 5.0        # close / exit: wait this long for the closed callback
WORKERS_WAIT_S = 3.0      # exit: give ops under way this long to ack
BATCH_FLUSH_S = 0.05      # unpaced publish: emit the batched `published` range this often
SUB_FLUSH_TIMEOUT_S = 2.0  # subscribe / reply / service: flush after SUB when connected
DEFAULT_DRAIN_TIMEOUT_S = 30.0  # nats.py's default drain_timeout
# JetStream (protocol 1.1) defaults and limits.
JS_DEFAULT_ACK_TIMEOUT_MS = 2000   # js_publish: how long one publish waits for the server's ack
JS_DEFAULT_BATCH = 10              # js_consume pull: messages per fetch
JS_DEFAULT_FETCH_TIMEOUT_MS = 1000  # js_consume pull: how long one fetch waits
JS_ERROR_EVERY_NS = 1_000_000_000  # js_consumer_error: at most one per second per sub
JS_FETCH_RETRY_S = 0.1             # a fetch that failed at once is tried again after this pause
JS_CONSUMER_INFO_TIMEOUT_S = 1.0   # a fetch met no responders: is the consumer still there?
JS_STOP_GRACE_S = 2.0              # js_stop: wait this long past fetch_timeout for the fetch under way
JS_MUTANT_DROP_EVERY = 100         # js-ack-before-process: every 100th message received is dropped
# An unpaced publish loop yields to the event loop this often, so that message
# callbacks, the stdin reader and the library's flusher keep running. Without
# it, nats.py's publish() does not yield until its pending buffer is full.
PUBLISH_YIELD_EVERY = 64


def mono_ns():
    """CLOCK_MONOTONIC in nanoseconds: the clock of every event's `mono_ns`."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


# --------------------------------------------------------------------------
# Output: JSON Lines on stdout.
# --------------------------------------------------------------------------

class EventWriter:
    """The single writer of stdout: one event per line, one write per line.

    Everything runs on the event loop thread, so lines never interleave. The
    writes are plain blocking writes, like the nats.c driver's; EAGAIN is
    handled because making stdin non-blocking can also make stdout
    non-blocking when both are the same terminal or socket.
    """

    def __init__(self):
        self.broken = False

    def emit(self, event, fields=None, mono=None):
        obj = {"event": event}
        if fields:
            obj.update(fields)
        obj["mono_ns"] = mono if mono is not None else mono_ns()
        self._write((json.dumps(obj, separators=(",", ":")) + "\n").encode())

    def log(self, text):
        self.emit("log", {"text": text})

    def _write(self, data):
        if self.broken:
            return
        view = memoryview(data)
        while view:
            try:
                n = os.write(1, view)
            except BlockingIOError:
                select.select([], [1], [], 1.0)
                continue
            except InterruptedError:
                continue
            except OSError:
                # stdout is gone (harness died): nothing left to tell anyone.
                self.broken = True
                return
            view = view[n:]


events = EventWriter()


def stderr_line(text):
    try:
        sys.stderr.write("natsfault-driver-py: " + text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


# --------------------------------------------------------------------------
# Errors: nats.py exceptions onto the shared vocabulary.
# --------------------------------------------------------------------------

class DriverError(Exception):
    """An error object `{"kind", "message", "native"?}`."""

    def __init__(self, kind, message, native=None, extra=None):
        super().__init__(message)
        self.kind, self.message, self.native = kind, message, native
        self.extra = extra  # extra fields for the ack that reports it

    def to_json(self):
        out = {"kind": self.kind, "message": self.message}
        if self.native is not None:
            out["native"] = self.native
        return out

    @property
    def key(self):
        """Same outcome for batching purposes."""
        return (self.kind, self.message, self.native)

    @staticmethod
    def other(message):
        return DriverError("other", message)


class BadCommand(Exception):
    """A bad command or field: acked with kind "other"."""


def native_name(exc):
    """The exception's class, module-qualified unless it is a builtin
    (nats.errors.TimeoutError and the builtin TimeoutError share a name)."""
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return cls.__module__ + "." + cls.__qualname__


# Server -ERR texts, recognised in any exception's text first: nats.py raises
# most of them as a plain nats.errors.Error("nats: <server text>").
_TEXT_KINDS = [
    ("maximum connections exceeded", "max_connections_exceeded"),
    ("authentication expired", "authentication_expired"),
    ("authorization violation", "authorization_violation"),
    ("permissions violation", "permissions_violation"),
    ("stale connection", "stale_connection"),
    # The server's -ERR 'Maximum Payload Violation': the limit MaxPayloadError checks, enforced by the server.
    ("maximum payload", "max_payload_exceeded"),
    # nats.py's own texts for a malformed handshake / a server -ERR for bad protocol.
    ("expecting info", "protocol_error"),
    ("info message, json parse", "protocol_error"),
    ("unknown protocol", "protocol_error"),
]

# Class checks, most specific first: UnexpectedEOF is a subclass of
# StaleConnectionError, and every nats.py timeout (DrainTimeoutError,
# FlushTimeoutError, nats.errors.TimeoutError) is a subclass of the builtin
# TimeoutError (= asyncio.TimeoutError), itself an OSError.
_CLASS_KINDS = [
    # The server closed the socket (or the connection was reset): not a missed PONG.
    (nats_errors.UnexpectedEOF, "io_error"),
    (nats_errors.StaleConnectionError, "stale_connection"),
    (nats_errors.ConnectionClosedError, "connection_closed"),
    (nats_errors.NoServersError, "no_servers"),
    (nats_errors.NoRespondersError, "no_responders"),
    (nats_errors.SlowConsumerError, "slow_consumer"),
    (nats_errors.AuthorizationError, "authorization_violation"),
    (nats_errors.OutboundBufferLimitError, "reconnect_buffer_exceeded"),
    (nats_errors.MaxPayloadError, "max_payload_exceeded"),
    # A drain that ran out of time is a timeout, as nats.c's NATS_TIMEOUT for it.
    (nats_errors.DrainTimeoutError, "timeout"),
    (nats_errors.ConnectionDrainingError, "draining"),
    (TimeoutError, "timeout"),
    (nats_errors.ProtocolError, "protocol_error"),
    (ConnectionRefusedError, "connection_refused"),
    (OSError, "io_error"),
]


# JetStream API errors (the server's err_code, from nats-server's errors.json) onto the 1.1 kinds.
_JS_ERR_CODES = {
    10014: "consumer_not_found",     # consumer not found
    10059: "stream_not_found",       # stream not found
    10060: "stream_not_found",       # expected stream does not match (Nats-Expected-Stream)
    10071: "wrong_last_sequence",    # wrong last sequence: {seq}
    10164: "wrong_last_sequence",    # wrong last sequence
    10039: "jetstream_not_enabled",  # JetStream not enabled for account
    10076: "jetstream_not_enabled",  # JetStream not enabled
}


def js_error_kind(exc):
    """The 1.1 kind of a nats.py JetStream exception, or None to map it as any other."""
    if isinstance(exc, nats_js_errors.NoStreamResponseError):
        # js.publish() turns the server's no-responders status (no stream has the subject) into this.
        return "no_responders"
    if isinstance(exc, nats_js_errors.APIError):
        kind = _JS_ERR_CODES.get(exc.err_code)
        if kind is not None:
            return kind
        if isinstance(exc, nats_js_errors.ServiceUnavailableError) and exc.err_code is None:
            # Raised bare for a no-responders status: on a $JS.API request (nats.py's
            # _api_request) or on a pull request's inbox (fetch).
            return "no_responders"
    return None


def error_kind(exc, text):
    kind = js_error_kind(exc)
    if kind is not None:
        return kind
    t = text.lower()
    for needle, kind in _TEXT_KINDS:
        if needle in t:
            return kind
    for cls, kind in _CLASS_KINDS:
        if isinstance(exc, cls):
            return kind
    return "other"


def from_exception(exc):
    """A DriverError for a library (or OS) exception: the library's text in
    `message` (the class name when it has none, e.g. asyncio's TimeoutError),
    the exception class in `native`."""
    if isinstance(exc, DriverError):
        return exc
    text = str(exc) or native_name(exc)
    native = native_name(exc)
    err_code = getattr(exc, "err_code", None)
    if isinstance(exc, nats_js_errors.APIError) and err_code is not None:
        native += " err_code=%s" % err_code  # the JetStream API's own code
    return DriverError(error_kind(exc, text), text, native)


# --------------------------------------------------------------------------
# Input: one command per line.
# --------------------------------------------------------------------------

def _type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


class Fields:
    """Typed access to a JSON object's fields; None for absent or null."""

    def __init__(self, values, prefix=""):
        self.values = values
        self.prefix = prefix  # for error messages, e.g. "options."

    def _get(self, key):
        return self.values.get(key)

    def _bad(self, key, want, got):
        return BadCommand("field '%s%s' must be %s, got %s"
                          % (self.prefix, key, want, _type_name(got)))

    def string(self, key):
        v = self._get(key)
        if v is None:
            return None
        if not isinstance(v, str):
            raise self._bad(key, "a string", v)
        return v

    def required_string(self, key):
        v = self.string(key)
        if v is None:
            raise BadCommand("missing field '%s%s'" % (self.prefix, key))
        return v

    def int(self, key):
        v = self._get(key)
        if v is None:
            return None
        if isinstance(v, bool):
            raise self._bad(key, "an integer", v)
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer() and abs(v) < 9.0e18:
            return int(v)
        raise self._bad(key, "an integer", v)

    def number(self, key):
        v = self._get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self._bad(key, "a number", v)
        return float(v)

    def bool(self, key):
        v = self._get(key)
        if v is None:
            return None
        if not isinstance(v, bool):
            raise self._bad(key, "a boolean", v)
        return v

    def string_list(self, key):
        v = self._get(key)
        if v is None:
            return None
        if isinstance(v, str):
            return [v]
        if isinstance(v, list):
            if not all(isinstance(s, str) for s in v):
                raise BadCommand("field '%s%s' must be a list of strings" % (self.prefix, key))
            return list(v)
        raise self._bad(key, "a list of strings", v)

    def object(self, key):
        v = self._get(key)
        if v is None:
            return None
        if not isinstance(v, dict):
            raise self._bad(key, "an object", v)
        return Fields(v, self.prefix + key + ".")

    def object_list(self, key):
        v = self._get(key)
        if v is None:
            return None
        if not isinstance(v, list) or not all(isinstance(o, dict) for o in v):
            raise BadCommand("field '%s%s' must be a list of objects" % (self.prefix, key))
        return [Fields(o, "%s%s[%d]." % (self.prefix, key, i)) for i, o in enumerate(v)]


class Command:
    def __init__(self, cid, op, fields):
        self.id, self.op, self.fields = cid, op, fields


def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def parse_line(line):
    """("command", Command) | ("bad", id, message) | ("garbage", why)."""
    shown = line[:200]
    try:
        value = json.loads(line, parse_constant=_reject_constant)
    except ValueError:
        return ("garbage", "line is not JSON: " + shown)
    if not isinstance(value, dict):
        return ("garbage", "line is not a JSON object: " + shown)
    fields = Fields(value)
    try:
        cid = fields.int("id")
    except BadCommand:
        cid = None
    if cid is None:
        return ("garbage", "command without an integer 'id': " + shown)
    try:
        op = fields.string("op")
    except BadCommand as e:
        return ("bad", cid, str(e))
    if op is None:
        return ("bad", cid, "missing field 'op'")
    return ("command", Command(cid, op, fields))


# --------------------------------------------------------------------------
# Payloads: "<seq> <stream>" padded with '.' (shared by all drivers).
# --------------------------------------------------------------------------

def make_payload(seq, stream, size):
    """"<seq> <stream>" padded with '.' to `size` bytes (never truncated)."""
    data = ("%d %s" % (seq, stream)).encode()
    if len(data) < size:
        data += b"." * (size - len(data))
    return data


def parse_payload(data):
    """(seq, stream) from a payload; (0, None) when it does not parse.
    Same rules as the nats.c driver's parsePayload."""
    n = len(data)
    i, seq = 0, 0
    while i < n and i < 18 and 0x30 <= data[i] <= 0x39:
        seq = seq * 10 + (data[i] - 0x30)
        i += 1
    if i == 0 or i >= n or data[i] != 0x20:
        return 0, None
    end = n
    while end > i + 1 and data[end - 1] == 0x2E:
        end -= 1
    raw = bytes(data[i + 1:end])
    if not raw or b" " in raw or raw == b".":
        return 0, None
    try:
        return seq, raw.decode("utf-8")
    except UnicodeDecodeError:
        return 0, None


# --------------------------------------------------------------------------
# One nats.py connection and its callbacks.
# --------------------------------------------------------------------------

def url_of(uri):
    return uri.geturl() if uri is not None else None


class Conn:
    """A nats.py Client plus what the driver tracks about it."""

    def __init__(self, drain_timeout_s, pending_msgs_limit):
        self.nc = Client()
        self.drain_timeout_s = drain_timeout_s
        self.pending_msgs_limit = pending_msgs_limit
        self.closed = asyncio.Event()
        self.connect_task = None  # a pending (retry_on_failed_connect) connect
        self.sub_names = {}       # Subscription -> report name
        self.error_count = 0      # errors the library reported (error callback)
        self.drain_timeouts = []  # mono of each DrainTimeoutError reported
        self.connecting = True    # until the first connect returns
        self.last_try_error = None  # last error reported while connecting
        self.slow = {}            # sub name -> SlowConsumerRun
        self.services = []
        self.js = None            # nats.py's JetStreamContext, made at the first JetStream op
        self.js_consumers = {}    # js_consume sub name -> JsConsumer
        # nats.py keeps its last error until the next one (even across a
        # successful reconnect) and clears it right before calling the
        # disconnected callback when it reconnects. The error a
        # disconnected/closed event reports is last_error only when it is not
        # the one already there at the last (re)connect.
        self._err_baseline = None

    # ---- state -------------------------------------------------------------

    @property
    def is_closed(self):
        return self.closed.is_set() or self.nc.is_closed

    def mark_closed(self):
        self.closed.set()

    def note_connected(self):
        self._err_baseline = self.nc.last_error

    def fresh_error(self):
        err = self.nc.last_error
        if err is None or err is self._err_baseline:
            return None
        return from_exception(err)

    def server_fields(self):
        f = {}
        url = url_of(self.nc.connected_url)
        if url:
            f["url"] = url
        # nats.py has no public accessor for the server's INFO.
        server_id = getattr(self.nc, "_server_info", {}).get("server_id")
        if server_id:
            f["server_id"] = server_id
        return f

    def emit_connected(self, event, mono=None):
        self.note_connected()
        events.emit(event, self.server_fields(), mono=mono)

    def drain_timed_out_since(self, mono):
        return any(m >= mono for m in self.drain_timeouts)

    def connect_failed(self, exc):
        """The DriverError for a first connect that failed with `exc`. nats.py
        retries its first connect and then usually raises NoServersError;
        the error of the last try (e.g. an authorization violation) goes
        with it as `last_attempt_error`."""
        self.connecting = False
        err = from_exception(exc)
        tried = self.last_try_error
        if tried is not None and tried is not exc:
            err.extra = {"last_attempt_error": from_exception(tried).to_json()}
        return err

    # ---- nats.py callbacks (coroutines, run on the event loop) ---------------

    async def on_error(self, exc):
        mono = mono_ns()
        self.error_count += 1
        if self.connecting:
            self.last_try_error = exc
        if isinstance(exc, nats_errors.DrainTimeoutError):
            self.drain_timeouts.append(mono)
        if isinstance(exc, nats_errors.SlowConsumerError):
            self._slow_consumer(exc, mono)
            return
        events.emit("error", {"error": from_exception(exc).to_json()}, mono=mono)

    def _slow_consumer(self, exc, mono):
        """nats.py calls the error callback once per dropped message (nats.c
        once per episode). The first drop of a run is reported at once, the
        rest as one `error` event with a `count` every 50 ms until a 50 ms
        span without drops ends the run."""
        name = self.sub_names.get(exc.sub)
        key = name if name is not None else "sid %s" % exc.sid
        run = self.slow.get(key)
        if run is None:
            run = self.slow[key] = SlowConsumerRun(name)
            run.add(exc, mono)
            run.emit()
            asyncio.get_running_loop().call_later(BATCH_FLUSH_S, self._slow_tick, key)
        else:
            run.add(exc, mono)

    def _slow_tick(self, key):
        run = self.slow.get(key)
        if run is None:
            return
        if run.count == 0:
            del self.slow[key]
            return
        run.emit()
        asyncio.get_running_loop().call_later(BATCH_FLUSH_S, self._slow_tick, key)

    def flush_reports(self):
        for run in self.slow.values():
            if run.count:
                run.emit()

    async def on_disconnected(self):
        mono = mono_ns()
        f = {}
        err = self.fresh_error()
        if err is not None:
            f["error"] = err.to_json()
        events.emit("disconnected", f, mono=mono)

    async def on_reconnected(self):
        self.emit_connected("reconnected")

    async def on_closed(self):
        mono = mono_ns()
        f = {}
        err = self.fresh_error()
        if err is not None:
            f["error"] = err.to_json()
        events.emit("closed", f, mono=mono)
        self.mark_closed()

    async def on_lame_duck(self):
        mono = mono_ns()
        f = {}
        url = url_of(self.nc.connected_url)
        if url:
            f["url"] = url
        events.emit("lame_duck", f, mono=mono)

    async def on_discovered_servers(self):
        mono = mono_ns()
        urls = [url_of(u) for u in self.nc.discovered_servers]
        events.emit("discovered_servers", {"urls": urls}, mono=mono)

    def callbacks(self):
        return dict(
            error_cb=self.on_error,
            disconnected_cb=self.on_disconnected,
            reconnected_cb=self.on_reconnected,
            closed_cb=self.on_closed,
            lame_duck_mode_cb=self.on_lame_duck,
            discovered_server_cb=self.on_discovered_servers,
        )


class SlowConsumerRun:
    """Slow-consumer drops of one subscription not reported yet."""

    def __init__(self, sub_name):
        self.sub_name = sub_name
        self.count = 0
        self.exc = None
        self.first_mono = self.last_mono = 0

    def add(self, exc, mono):
        if self.count == 0:
            self.first_mono = mono
        self.count += 1
        self.exc = exc
        self.last_mono = mono

    def emit(self):
        f = {"error": from_exception(self.exc).to_json()}
        if self.sub_name is not None:
            f["sub"] = self.sub_name
        f["count"] = self.count  # messages dropped since the last report
        if self.count > 1:
            f["first_mono_ns"] = self.first_mono
        events.emit("error", f, mono=self.last_mono)
        self.count = 0


# --------------------------------------------------------------------------
# Batching of unpaced publishing: `published`, `js_ack` and `js_publish_failed` ranges.
# --------------------------------------------------------------------------

class RangeBatcher:
    """A run of consecutive publish seqs whose outcomes belong together, extended while the next
    seq follows, written when it breaks, by flush_periodically's ticker and at the end of the
    publishing. Keeps the outcome of the run's first message, the first and last mono times and
    the longest publish call. Subclasses say whether an outcome extends the run (_extends) and
    write the run (_write)."""

    def __init__(self, stream):
        self.stream = stream
        self.have = False
        self.first = self.last = 0
        self.outcome = None       # the outcome of the first message of the run
        self.first_mono = self.last_mono = 0
        self.longest_call = 0     # the longest publish call in the run

    def add(self, seq, outcome, mono, call):
        if self.have and seq == self.last + 1 and self._extends(seq, outcome):
            self.last = seq
            self.last_mono = mono
            self.longest_call = max(self.longest_call, call)
            return
        self.flush()
        self.have = True
        self.first = self.last = seq
        self.outcome = outcome
        self.first_mono = self.last_mono = mono
        self.longest_call = call

    def flush(self):
        if not self.have:
            return
        self.have = False
        self._write()

    def _extends(self, seq, outcome):
        raise NotImplementedError

    def _write(self):
        raise NotImplementedError


class PublishedBatcher(RangeBatcher):
    """Merges consecutive same-outcome `published` events into ranges; the outcome is the
    DriverError or None."""

    def _extends(self, seq, error):
        return (error.key if error else None) == (self.outcome.key if self.outcome else None)

    def _write(self):
        error = self.outcome
        f = {"stream": self.stream}
        if self.first == self.last:
            f["seq"] = self.first
        else:
            f["from"] = self.first
            f["to"] = self.last
        f["ok"] = error is None
        if error is not None:
            f["error"] = error.to_json()
        if self.first != self.last:
            f["first_mono_ns"] = self.first_mono
        f["call_ns"] = self.longest_call
        events.emit("published", f, mono=self.last_mono)


# --------------------------------------------------------------------------
# JetStream (protocol 1.1): js_ack / js_publish_failed batching, consumers.
# --------------------------------------------------------------------------

class JsPublishBatcher(RangeBatcher):
    """Merges the outcomes of an unpaced `js_publish` into ranges: consecutive `js_ack`s whose
    stream sequences run in step with the publish sequences (same `js_stream` and `duplicate`),
    and consecutive `js_publish_failed` with the same error. The outcome is (PubAck or None,
    DriverError or None). A paced `js_publish` emits one event per message (emit_js_outcome)."""

    def _extends(self, seq, outcome):
        ack, error = outcome
        first_ack, first_error = self.outcome
        if error is not None or first_error is not None:
            return error is not None and first_error is not None and error.key == first_error.key
        return (ack.stream == first_ack.stream and bool(ack.duplicate) == bool(first_ack.duplicate)
                and ack.seq == first_ack.seq + (seq - self.first))

    def _write(self):
        ack, error = self.outcome
        if self.first == self.last:
            emit_js_outcome(self.stream, self.first, ack, error, self.last_mono,
                            self.longest_call)
            return
        f = {"stream": self.stream, "from": self.first, "to": self.last}
        if error is None:
            f["js_stream"] = ack.stream
            f["js_seq_from"] = ack.seq
            f["js_seq_to"] = ack.seq + (self.last - self.first)
            f["duplicate"] = bool(ack.duplicate)
        else:
            f["error"] = error.to_json()
        f["call_ns"] = self.longest_call
        f["first_mono_ns"] = self.first_mono
        events.emit("js_publish_failed" if error is not None else "js_ack", f,
                    mono=self.last_mono)


def emit_js_outcome(stream, seq, ack, error, mono, call):
    """One `js_ack` (the server's PubAck) or `js_publish_failed` (no acknowledgement)."""
    if error is None:
        events.emit("js_ack", {"stream": stream, "seq": seq, "js_stream": ack.stream,
                               "js_seq": ack.seq, "duplicate": bool(ack.duplicate),
                               "call_ns": call}, mono=mono)
    else:
        events.emit("js_publish_failed", {"stream": stream, "seq": seq, "error": error.to_json(),
                                          "call_ns": call}, mono=mono)


class JsConsumer:
    """One `js_consume`: bound to an existing durable consumer, never creating one.

    pull: nats.py's pull_subscribe_bind, then fetch(batch, fetch_timeout) over and over in a
    background task. push: nats.py's subscribe_bind on the durable's deliver subject (and deliver
    group), with manual acks. Each message is reported as `js_message`, then acknowledged (with
    `ack`). A message is reported and acked under `lock`, so that stopping never cuts in between."""

    def __init__(self, conn, name, js_stream, durable, mode, batch, fetch_timeout_s, ack):
        self.conn = conn
        self.name = name
        self.js_stream = js_stream
        self.durable = durable
        self.mode = mode
        self.batch = batch
        self.fetch_timeout_s = fetch_timeout_s
        self.ack = ack
        self.js = None            # nats.py's JetStreamContext
        self.psub = None          # nats.py's PullSubscription / PushSubscription
        self.task = None          # pull: the fetch loop
        self.lock = asyncio.Lock()
        self.stopping = False     # no fetch after the one under way
        self.dropping = False     # messages not reported yet are left alone (redelivered later)
        self.fetching = False     # the pull task is waiting in fetch()
        self.received = 0         # messages received (the mutant's count)
        self.last_error_mono = None
        self.unreported = 0       # errors not reported since the last js_consumer_error

    # ---- binding -------------------------------------------------------------

    async def bind(self, js):
        """Binds to the durable consumer; raises DriverError when it cannot."""
        self.js = js
        try:
            info = await js.consumer_info(self.js_stream, self.durable)
        except nats_js_errors.ServiceUnavailableError as e:
            err = from_exception(e)
            if e.err_code is None:
                # Nobody answers $JS.API: the server (or account) has no JetStream.
                err.kind = "jetstream_not_enabled"
            raise err
        config = info.config
        if self.mode == "pull":
            if config.deliver_subject:
                raise DriverError.other("js_consume: durable '%s' of stream '%s' is a push consumer "
                                        "(deliver subject '%s'): use mode push"
                                        % (self.durable, self.js_stream, config.deliver_subject))
            self.psub = await js.pull_subscribe_bind(durable=self.durable, stream=self.js_stream)
            self.task = asyncio.get_running_loop().create_task(self._pull_loop())
            return
        if not config.deliver_subject:
            raise DriverError.other("js_consume: durable '%s' of stream '%s' is a pull consumer "
                                    "(no deliver subject): use mode pull"
                                    % (self.durable, self.js_stream))
        if not config.deliver_group and info.push_bound:
            # nats.py's js.subscribe() refuses this with the same text; subscribe_bind (used here
            # so that a consumer is never created) does not check it.
            raise DriverError("other", "nats: JetStream.Error consumer is already bound to a "
                              "subscription", "nats.js.errors.Error")
        self.psub = await js.subscribe_bind(stream=self.js_stream, config=config,
                                            consumer=self.durable, cb=self.on_message,
                                            manual_ack=True)

    # ---- messages ------------------------------------------------------------

    async def on_message(self, msg):
        """A message of the consumer: `js_message`, then the ack (push: nats.py's callback)."""
        async with self.lock:
            if self.dropping:
                return
            self.received += 1
            try:
                meta = msg.metadata
            except Exception as e:  # not a JetStream message (no $JS.ACK reply subject)
                self.report_error(from_exception(e))
                return
            seq, stream = parse_payload(msg.data)
            ev = {"sub": self.name, "subject": msg.subject, "seq": seq}
            if stream is not None:
                ev["stream"] = stream
            ev.update({
                "js_stream": meta.stream, "js_seq": meta.sequence.stream,
                "consumer_seq": meta.sequence.consumer, "delivered": meta.num_delivered,
                "redelivered": meta.num_delivered > 1,
            })
            if mutant == "js-ack-before-process":
                # The defect: the message is acknowledged as soon as it arrives, before the
                # application has dealt with it; every 100th is then lost (acked, never reported).
                if self.ack or self.received % JS_MUTANT_DROP_EVERY == 0:
                    await self._ack(msg)
                if self.received % JS_MUTANT_DROP_EVERY == 0:
                    return
                events.emit("js_message", ev)
                return
            events.emit("js_message", ev)
            if self.ack:
                await self._ack(msg)

    async def _ack(self, msg):
        try:
            await msg.ack()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.report_error(from_exception(e))

    def _too_soon(self):
        return (self.last_error_mono is not None
                and mono_ns() - self.last_error_mono < JS_ERROR_EVERY_NS)

    def report_error(self, err, extra=None):
        """`js_consumer_error`, at most one per second: the ones in between are counted, and the
        next report carries that count as `suppressed`."""
        if self._too_soon():
            self.unreported += 1
            return
        now = mono_ns()
        f = {"sub": self.name, "error": err.to_json()}
        if extra:
            f.update(extra)
        if self.unreported:
            f["suppressed"] = self.unreported
        self.unreported = 0
        self.last_error_mono = now
        events.emit("js_consumer_error", f, mono=now)

    # ---- pull ----------------------------------------------------------------

    async def _pull_loop(self):
        nc = self.conn.nc
        while not self.stopping:
            self.fetching = True
            try:
                msgs = await self.psub.fetch(self.batch, timeout=self.fetch_timeout_s)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                # Every nats.py fetch timeout (nats.errors.TimeoutError, its FetchTimeoutError,
                # asyncio's) is a builtin TimeoutError: no messages in time, reported as nothing.
                # nats.py also ends a fetch this way when the server answers 404/408/409.
                continue
            except Exception as e:
                await self._fetch_failed(e)
                if nc.is_closed:
                    return  # nothing more can come: the connection is closed for good
                await asyncio.sleep(JS_FETCH_RETRY_S)
                continue
            finally:
                self.fetching = False
            for msg in msgs:
                if self.dropping:
                    break
                await self.on_message(msg)

    async def finish_fetching(self):
        """Pull: no fetch after the one under way, whose messages are still reported and acked
        (js_stop, and drain before nats.py drains the subscriptions). Push: nothing to do."""
        self.stopping = True
        task = self.task
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=self.fetch_timeout_s + JS_STOP_GRACE_S)

    async def _fetch_failed(self, exc):
        """A fetch that failed with more than a timeout. nats.py swallows the server's
        `409 Consumer Deleted` inside fetch(); the fetches after it meet no responders (nobody
        serves the consumer's pull requests any more) and raise a bare ServiceUnavailableError,
        as they do while JetStream shuts down. The driver then asks consumer_info (one library
        call, at most once per report) and reports consumer_deleted or stream_not_found when
        that says the consumer or its stream is gone; its error goes along as consumer_info_error."""
        if self._too_soon():
            self.unreported += 1
            return
        err = from_exception(exc)
        extra = None
        if isinstance(exc, nats_js_errors.ServiceUnavailableError) and exc.err_code is None:
            try:
                await self.js.consumer_info(self.js_stream, self.durable,
                                            timeout=JS_CONSUMER_INFO_TIMEOUT_S)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                why = from_exception(e)
                if why.kind == "consumer_not_found":
                    err.kind = "consumer_deleted"
                elif why.kind == "stream_not_found":
                    err.kind = "stream_not_found"
                if err.kind != "no_responders":
                    extra = {"consumer_info_error": why.to_json()}
        self.report_error(err, extra)

    # ---- stopping ------------------------------------------------------------

    async def stop(self, graceful):
        """Stops consuming and unsubscribes (the durable consumer stays). Graceful (js_stop): a
        fetch under way may finish, and what it brings is reported and acked; otherwise (close,
        exit) it is cancelled and what was not reported yet is left to be redelivered."""
        if graceful:
            await self.finish_fetching()
        self.stopping = True
        task = self.task
        self.dropping = True
        if task is not None and not task.done():
            if self.fetching:
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        async with self.lock:  # a message being reported and acked is finished first
            pass
        if self.psub is not None and not self.conn.nc.is_closed:
            try:
                await self.psub.unsubscribe()
            except Exception as e:
                events.log("js_stop %s: nats.py unsubscribe failed: %s"
                           % (self.name, from_exception(e).message))


# --------------------------------------------------------------------------
# Acks.
# --------------------------------------------------------------------------

def ack_ok(cid, extra=None):
    f = {"id": cid, "ok": True}
    if extra:
        f.update(extra)
    events.emit("ack", f)


def ack_error(cid, err, extra=None):
    f = {"id": cid, "ok": False, "error": err.to_json()}
    if extra:
        f.update(extra)
    events.emit("ack", f)


async def sleep_until(mono):
    delay = mono - mono_ns()
    if delay > 0:
        await asyncio.sleep(delay / 1e9)


def ack_counts(cid, done, count, ok_count, failed, first_error):
    """The ack of a long operation (`publish`, `request`, `js_publish`): `succeeded` and `failed`
    counts; ok:false with the first error if any failed, or if the driver is exiting before all
    `count` were done."""
    extra = {"succeeded": ok_count, "failed": failed}
    if done < count:
        ack_error(cid, DriverError.other("cancelled: driver exiting after %d of %d"
                                         % (done, count)), extra)
    elif first_error is not None:
        ack_error(cid, first_error, extra)
    else:
        ack_ok(cid, extra)


class Pacer:
    """Paces messages 1…count (`publish`, `js_publish`). With a rate, message `seq` is due at
    start + (seq - 1) / rate, so a slow call does not shift the ones after it; without one, the
    loop yields to the event loop every PUBLISH_YIELD_EVERY messages."""

    def __init__(self, rate):
        self.rate = rate
        self.start = mono_ns()
        self.interval_ns = 1e9 / rate if rate is not None else 0.0

    async def wait(self, seq):
        if self.rate is not None:
            await sleep_until(self.start + int((seq - 1) * self.interval_ns))
        elif seq % PUBLISH_YIELD_EVERY == 0:
            await asyncio.sleep(0)


def flush_periodically(batcher):
    """A task that flushes `batcher` every BATCH_FLUSH_S (None when there is no batcher)."""
    if batcher is None:
        return None

    async def loop():
        while True:
            await asyncio.sleep(BATCH_FLUSH_S)
            batcher.flush()
    return asyncio.get_running_loop().create_task(loop())


# --------------------------------------------------------------------------
# The ops.
# --------------------------------------------------------------------------

class Driver:
    def __init__(self):
        self.conn = None
        self.workers = set()     # tasks of ops still under way (acks to come)
        self.exiting = False     # set when about to exit: ops under way stop early

    # ---- dispatch ------------------------------------------------------------

    async def handle(self, cmd):
        """Carries out one command. publish/request/drain start a task that
        acks when done; everything else acks before the next command runs."""
        try:
            op = cmd.op
            f = cmd.fields
            if op == "connect":
                ack_ok(cmd.id, await self.connect(f))
            elif op == "subscribe":
                ack_ok(cmd.id, await self.subscribe(f))
            elif op == "reply":
                ack_ok(cmd.id, await self.reply(f))
            elif op == "service":
                ack_ok(cmd.id, await self.service(f))
            elif op == "publish":
                self.publish(cmd.id, f)
            elif op == "request":
                self.request(cmd.id, f)
            elif op == "js_publish":
                self.js_publish(cmd.id, f)
            elif op == "js_consume":
                ack_ok(cmd.id, await self.js_consume(f))
            elif op == "js_stop":
                ack_ok(cmd.id, await self.js_stop(f))
            elif op == "flush":
                ack_ok(cmd.id, await self.flush(f))
            elif op == "drain":
                self.drain(cmd.id)
            elif op == "close":
                ack_ok(cmd.id, await self.close())
            elif op == "stats":
                ack_ok(cmd.id, self.stats())
            else:
                raise DriverError.other("unknown op '%s'" % op)
        except DriverError as e:
            ack_error(cmd.id, e, e.extra)
        except BadCommand as e:
            ack_error(cmd.id, DriverError.other("%s: %s" % (cmd.op, e)))
        except asyncio.CancelledError:
            ack_error(cmd.id, DriverError.other("%s: cancelled: driver exiting" % cmd.op))
            raise
        except Exception as e:  # a library call failed
            ack_error(cmd.id, from_exception(e))

    def spawn(self, coro):
        task = asyncio.get_running_loop().create_task(coro)
        self.workers.add(task)
        task.add_done_callback(self.workers.discard)
        return task

    def require_conn(self):
        if self.conn is None:
            raise DriverError.other("no connection: send a successful connect first")
        return self.conn

    async def shutdown(self):
        """Before exiting: closes the connection (if open), waits for its
        closed callback, then gives ops under way a moment to finish and ack."""
        self.exiting = True
        conn = self.conn
        if conn is not None:
            conn.flush_reports()
        if conn is not None and (not conn.is_closed or conn.connect_task is not None):
            await self._close_conn(conn, "exit")
        if self.workers:
            _, pending = await asyncio.wait(set(self.workers), timeout=WORKERS_WAIT_S)
            if pending:
                events.log("exit: ops still under way after 3 s; their acks are lost")

    # ---- connect -------------------------------------------------------------

    async def connect(self, f):
        if self.conn is not None and not self.conn.is_closed:
            raise DriverError.other("connect: a connection is already open; close it first")
        servers = f.string_list("servers") or []
        if not servers:
            raise BadCommand("missing field 'servers'")
        name = f.string("name")
        o = f.object("options") or Fields({}, "options.")
        lib = "nats.py %s" % NATS_PY_VERSION
        for key in sorted(o.values):
            if key not in KNOWN_CONNECT_OPTIONS:
                raise DriverError.other("connect option '%s' is not supported by %s" % (key, lib))

        def lacks(key, what):
            return DriverError.other("connect option '%s' is not supported by %s (%s)"
                                     % (key, lib, what))

        # Options nats.py lacks. A value asking for what nats.py does anyway
        # (no jitter, keep discovered servers, requests wait for their
        # timeout across a disconnect) is accepted.
        jitter = o.int("reconnect_jitter_ms")
        if jitter is not None and jitter != 0:
            raise lacks("reconnect_jitter_ms", "it has no reconnect jitter; only 0 is accepted")
        if o.bool("ignore_discovered_servers"):
            raise lacks("ignore_discovered_servers",
                        "it always adds the servers a cluster advertises; only false is accepted")
        if o.bool("fail_requests_on_disconnect"):
            raise lacks("fail_requests_on_disconnect",
                        "pending requests wait for their timeout; only false is accepted")

        kw = {"servers": servers, "name": name}
        note = None  # how an option was mapped, logged once the connect starts
        v = o.bool("allow_reconnect")
        if v is not None:
            kw["allow_reconnect"] = v
        v = o.int("max_reconnects")
        if v is not None:
            if v < 0:
                kw["max_reconnect_attempts"] = -1  # nats.py: negative means forever
            elif v == 0:
                # nats.py treats max_reconnect_attempts 0 as "unlimited", and
                # even with allow_reconnect=False its first connect still
                # retries each server max_reconnect_attempts times (its
                # minimum is 1: two tries per server, reconnect_wait apart).
                kw["allow_reconnect"] = False
                kw["max_reconnect_attempts"] = 1
                note = ("max_reconnects 0: nats.py reads max_reconnect_attempts 0 as unlimited; "
                        "using allow_reconnect=False, max_reconnect_attempts=1 (its first "
                        "connect still tries each server twice)")
            else:
                kw["max_reconnect_attempts"] = v
        v = o.int("reconnect_wait_ms")
        if v is not None:
            if v < 0:
                raise BadCommand("field 'options.reconnect_wait_ms' must be >= 0")
            kw["reconnect_time_wait"] = v / 1000.0
        v = o.int("reconnect_buffer_bytes")
        if v is not None:
            if v < 0:
                raise BadCommand("field 'options.reconnect_buffer_bytes' must be >= 0")
            # nats.py's pending_size bounds the whole outgoing buffer; while
            # disconnected a publish that would exceed it fails with
            # OutboundBufferLimitError, and 0 disables buffering.
            kw["pending_size"] = v
        v = o.int("ping_interval_ms")
        if v is not None:
            if v <= 0:
                raise BadCommand("field 'options.ping_interval_ms' must be > 0")
            kw["ping_interval"] = v / 1000.0  # seconds; used with asyncio.sleep
        v = o.int("max_pings_out")
        if v is not None:
            kw["max_outstanding_pings"] = v
        v = o.int("connect_timeout_ms")
        if v is not None:
            if v <= 0:
                raise BadCommand("field 'options.connect_timeout_ms' must be > 0")
            kw["connect_timeout"] = v / 1000.0
        v = o.bool("no_randomize")
        if v is not None:
            kw["dont_randomize"] = v
        for key in ("user", "password", "token"):
            v = o.string(key)
            if v is not None:
                kw[key] = v
        v = o.string("credentials_file")
        if v is not None:
            if "credentials" not in CAPABILITIES:
                raise DriverError("other", "connect option 'credentials_file' needs PyPI's nkeys package, "
                                  "which nats.py signs with (pip install nkeys)")
            # nats.py reads the file again at every connect and reconnect (its
            # user_jwt and signature callbacks open it each time).
            kw["user_credentials"] = v
        v = o.bool("no_echo")
        if v is not None:
            kw["no_echo"] = v
        drain_ms = o.int("drain_timeout_ms")
        if drain_ms is not None:
            if drain_ms <= 0:
                raise BadCommand("field 'options.drain_timeout_ms' must be > 0")
            kw["drain_timeout"] = drain_ms / 1000.0
        pending_msgs = o.int("max_pending_msgs")
        if pending_msgs is not None and pending_msgs <= 0:
            raise BadCommand("field 'options.max_pending_msgs' must be > 0")
        retry = bool(o.bool("retry_on_failed_connect"))
        if mutant == "pings-out-doubled":
            kw["max_outstanding_pings"] = 2 * kw.get("max_outstanding_pings", 2)  # nats.py's default: 2

        if note:
            events.log(note)
        conn = Conn(drain_ms / 1000.0 if drain_ms is not None else None, pending_msgs)
        kw.update(conn.callbacks())
        self.conn = conn

        if retry:
            # nats.py has no retry-on-failed-connect switch: its connect()
            # itself keeps trying (max_reconnect_attempts per server,
            # reconnect_time_wait apart) and returns once connected. Run it in
            # the background and ack at once, as nats.c does.
            conn.connect_task = asyncio.get_running_loop().create_task(
                self._pending_connect(conn, kw))
            return {"pending": True}
        try:
            await conn.nc.connect(**kw)
        except asyncio.CancelledError:
            conn.mark_closed()
            raise
        except Exception as e:
            conn.mark_closed()
            raise conn.connect_failed(e)
        conn.connecting = False
        conn.emit_connected("connected")
        return None

    async def _pending_connect(self, conn, kw):
        try:
            await conn.nc.connect(**kw)
        except asyncio.CancelledError:
            return
        except Exception as e:
            # nats.py gave up (e.g. NoServersError once every server used up
            # its attempts). It calls no callback for this: report the
            # connection as closed with the library's error, as nats.c does.
            err = conn.connect_failed(e)
            f = {"error": err.to_json()}
            f.update(err.extra or {})
            events.emit("closed", f)
            conn.mark_closed()
            return
        finally:
            if conn.connect_task is asyncio.current_task():
                conn.connect_task = None
        conn.connecting = False
        conn.emit_connected("connected")
        # nats.py's connect() leaves what was buffered before it returned
        # (SUBs and PUBs sent while pending) queued until something else
        # kicks its flusher; its reconnect path does flush. Flush once so
        # that they go out now, as with nats.c's retry-on-failed-connect.
        try:
            await conn.nc.flush(timeout=SUB_FLUSH_TIMEOUT_S)
        except Exception as e:
            events.log("connect: flush after the pending connect failed: %s"
                       % from_exception(e).message)

    # ---- subscribe / reply / service ----------------------------------------

    async def subscribe(self, f):
        subject = f.required_string("subject")
        queue = f.string("queue")
        name = f.string("sub") or subject

        async def on_message(msg):
            mono = mono_ns()
            data = msg.data
            seq, stream = parse_payload(data)
            ev = {"sub": name, "subject": msg.subject, "seq": seq}
            if stream is not None:
                ev["stream"] = stream
            ev["bytes"] = len(data)
            events.emit("message", ev, mono=mono)

        return await self._make_sub(subject, queue, name, on_message)

    async def reply(self, f):
        subject = f.required_string("subject")
        queue = f.string("queue")
        name = "reply:" + subject
        conn = self.require_conn()

        async def on_request(msg):
            if not msg.reply:
                return
            try:
                await conn.nc.publish(msg.reply, msg.data)
            except Exception as e:
                err = from_exception(e)
                events.log("reply %s: answering a request failed: %s %s"
                           % (name, err.native or "", err.message))

        return await self._make_sub(subject, queue, name, on_request)

    async def _make_sub(self, subject, queue, name, handler):
        conn = self.require_conn()
        kw = {}
        if conn.pending_msgs_limit is not None:
            kw["pending_msgs_limit"] = conn.pending_msgs_limit
        sub = await conn.nc.subscribe(subject, queue=queue or "", cb=handler, **kw)
        conn.sub_names[sub] = name
        return await self._flush_after_sub(conn, "subscribe " + name)

    async def _flush_after_sub(self, conn, what):
        """Makes sure the server has the interest before acking, when connected."""
        if not conn.nc.is_connected:
            return {"flushed": False}
        try:
            await conn.nc.flush(timeout=SUB_FLUSH_TIMEOUT_S)
        except Exception as e:
            events.log("%s: flush after SUB failed: %s" % (what, from_exception(e).message))
            return {"flushed": False}
        return {"flushed": True}

    async def service(self, f):
        """An ADR-32 micro service (nats.micro) whose endpoints answer each
        request with its own payload."""
        conn = self.require_conn()
        name = f.required_string("name")
        version = f.required_string("version")
        endpoints = f.object_list("endpoints") or []
        specs = []
        for ep in endpoints:
            ep_name = ep.required_string("name")
            specs.append((ep_name, ep.string("subject") or ep_name, ep.string("queue")))

        async def answer(req):
            await req.respond(req.data)

        try:
            svc = await nats.micro.add_service(conn.nc, name=name, version=version)
        except ValueError as e:  # nats.micro validates names and versions
            raise DriverError("other", "service: %s" % e, native_name(e))
        conn.services.append(svc)
        for ep_name, subject, queue in specs:
            try:
                await svc.add_endpoint(name=ep_name, subject=subject, queue_group=queue,
                                       handler=answer)
            except ValueError as e:
                raise DriverError("other", "service endpoint '%s': %s" % (ep_name, e),
                                  native_name(e))
        extra = await self._flush_after_sub(conn, "service " + name)
        extra["service_id"] = svc.id
        return extra

    # ---- publish -------------------------------------------------------------

    @staticmethod
    def _publish_fields(f):
        """The fields `publish` and `js_publish` share: (subject, stream, count, rate, size)."""
        subject = f.required_string("subject")
        stream = f.string("stream") or subject
        count = f.int("count")
        count = 1 if count is None else count
        rate = f.number("rate_per_s")
        size = f.int("payload_bytes") or 0
        if count < 0:
            raise BadCommand("field 'count' must be >= 0")
        if rate is not None and not rate > 0:
            raise BadCommand("field 'rate_per_s' must be > 0")
        if size < 0:
            raise BadCommand("field 'payload_bytes' must be >= 0")
        return subject, stream, count, rate, size

    def publish(self, cid, f):
        conn = self.require_conn()
        subject, stream, count, rate, size = self._publish_fields(f)
        self.spawn(self._publish(cid, conn, subject, stream, count, rate, size))

    async def _publish(self, cid, conn, subject, stream, count, rate, size):
        nc = conn.nc
        ok_count = failed = 0
        first_error = None
        batcher = PublishedBatcher(stream) if rate is None else None
        flusher = flush_periodically(batcher)
        pacer = Pacer(rate)
        seq = 1
        try:
            while seq <= count and not self.exiting:
                await pacer.wait(seq)
                if self.exiting:
                    break
                err = None
                payload = make_payload(seq, stream, size)
                sent = mono_ns()
                try:
                    await nc.publish(subject, payload)
                except Exception as e:
                    err = from_exception(e)
                mono = mono_ns()
                if err is None:
                    ok_count += 1
                else:
                    failed += 1
                    if first_error is None:
                        first_error = err
                if batcher is not None:
                    batcher.add(seq, err, mono, mono - sent)
                else:
                    ev = {"stream": stream, "seq": seq, "ok": err is None, "call_ns": mono - sent}
                    if err is not None:
                        ev["error"] = err.to_json()
                    events.emit("published", ev, mono=mono)
                seq += 1
        finally:
            if flusher is not None:
                flusher.cancel()
            if batcher is not None:
                batcher.flush()
        ack_counts(cid, seq - 1, count, ok_count, failed, first_error)

    # ---- request -------------------------------------------------------------

    def request(self, cid, f):
        conn = self.require_conn()
        subject = f.required_string("subject")
        stream = f.string("stream") or subject
        count = f.int("count")
        count = 1 if count is None else count
        timeout_ms = f.int("timeout_ms")
        timeout_ms = 2000 if timeout_ms is None else timeout_ms
        interval_ms = f.int("interval_ms") or 0
        size = f.int("payload_bytes") or 0
        if count < 0:
            raise BadCommand("field 'count' must be >= 0")
        if timeout_ms <= 0:
            raise BadCommand("field 'timeout_ms' must be > 0")
        if interval_ms < 0:
            raise BadCommand("field 'interval_ms' must be >= 0")
        if size < 0:
            raise BadCommand("field 'payload_bytes' must be >= 0")
        self.spawn(self._request(cid, conn, subject, stream, count, timeout_ms, interval_ms, size))

    async def _request(self, cid, conn, subject, stream, count, timeout_ms, interval_ms, size):
        nc = conn.nc
        ok_count = failed = 0
        first_error = None
        next_start = mono_ns()
        seq = 1
        while seq <= count and not self.exiting:
            if seq > 1 and interval_ms > 0:
                await sleep_until(next_start)
            payload = make_payload(seq, stream, size)
            t0 = mono_ns()
            next_start = t0 + interval_ms * 1_000_000
            reply, err = None, None
            try:
                reply = await nc.request(subject, payload, timeout=timeout_ms / 1000.0)
            except Exception as e:
                err = from_exception(e)
            t1 = mono_ns()
            ev = {"stream": stream, "seq": seq, "ok": err is None}
            if err is None:
                ok_count += 1
                ev["reply_seq"] = parse_payload(reply.data)[0]
            else:
                failed += 1
                if first_error is None:
                    first_error = err
                ev["error"] = err.to_json()
            ev["latency_ns"] = t1 - t0
            events.emit("request_result", ev, mono=t1)
            seq += 1
        ack_counts(cid, seq - 1, count, ok_count, failed, first_error)

    # ---- JetStream (protocol 1.1) ---------------------------------------------

    @staticmethod
    def js_context(conn):
        if conn.js is None:
            conn.js = conn.nc.jetstream()
        return conn.js

    def js_publish(self, cid, f):
        conn = self.require_conn()
        subject, stream, count, rate, size = self._publish_fields(f)
        ack_timeout_ms = f.int("ack_timeout_ms")
        ack_timeout_ms = JS_DEFAULT_ACK_TIMEOUT_MS if ack_timeout_ms is None else ack_timeout_ms
        if ack_timeout_ms <= 0:
            raise BadCommand("field 'ack_timeout_ms' must be > 0")
        msg_id = bool(f.bool("msg_id"))
        js_stream = f.string("js_stream")
        self.spawn(self._js_publish(cid, conn, subject, stream, count, rate, size,
                                    ack_timeout_ms / 1000.0, msg_id, js_stream))

    async def _js_publish(self, cid, conn, subject, stream, count, rate, size, ack_timeout_s,
                          msg_id, js_stream):
        """nats.py's js.publish(): a request to the subject that waits for the stream's PubAck
        (ack_timeout_s); `stream=` sends Nats-Expected-Stream. Paced as `publish`, never retried."""
        js = self.js_context(conn)
        ok_count = failed = 0
        first_error = None
        batcher = JsPublishBatcher(stream) if rate is None else None
        flusher = flush_periodically(batcher)
        pacer = Pacer(rate)
        seq = 1
        try:
            while seq <= count and not self.exiting:
                await pacer.wait(seq)
                if self.exiting:
                    break
                payload = make_payload(seq, stream, size)
                headers = {"Nats-Msg-Id": "%s-%d" % (stream, seq)} if msg_id else None
                ack = err = None
                sent = mono_ns()
                try:
                    ack = await js.publish(subject, payload, timeout=ack_timeout_s,
                                           stream=js_stream, headers=headers)
                except Exception as e:
                    err = from_exception(e)
                mono = mono_ns()
                if err is None:
                    ok_count += 1
                else:
                    failed += 1
                    if first_error is None:
                        first_error = err
                if batcher is not None:
                    batcher.add(seq, (ack, err), mono, mono - sent)
                else:
                    emit_js_outcome(stream, seq, ack, err, mono, mono - sent)
                seq += 1
        finally:
            if flusher is not None:
                flusher.cancel()
            if batcher is not None:
                batcher.flush()
        ack_counts(cid, seq - 1, count, ok_count, failed, first_error)

    async def js_consume(self, f):
        conn = self.require_conn()
        name = f.required_string("sub")
        js_stream = f.required_string("js_stream")
        durable = f.required_string("durable")
        mode = f.string("mode") or "pull"
        if mode not in ("pull", "push"):
            raise BadCommand("field 'mode' must be \"pull\" or \"push\", got \"%s\"" % mode)
        batch = f.int("batch")
        batch = JS_DEFAULT_BATCH if batch is None else batch
        if batch <= 0:
            raise BadCommand("field 'batch' must be > 0")
        fetch_timeout_ms = f.int("fetch_timeout_ms")
        if fetch_timeout_ms is None:
            fetch_timeout_ms = JS_DEFAULT_FETCH_TIMEOUT_MS
        if fetch_timeout_ms <= 0:
            raise BadCommand("field 'fetch_timeout_ms' must be > 0")
        ack = f.bool("ack")
        ack = True if ack is None else ack
        if name in conn.js_consumers:
            raise DriverError.other("js_consume: sub '%s' is already consuming; js_stop it first"
                                    % name)
        consumer = JsConsumer(conn, name, js_stream, durable, mode, batch,
                              fetch_timeout_ms / 1000.0, ack)
        await consumer.bind(self.js_context(conn))
        conn.js_consumers[name] = consumer
        if mode == "push":
            return await self._flush_after_sub(conn, "js_consume " + name)
        return None

    async def js_stop(self, f):
        conn = self.require_conn()
        name = f.required_string("sub")
        consumer = conn.js_consumers.pop(name, None)
        if consumer is None:
            raise DriverError.other("js_stop: no js_consume with sub '%s'" % name)
        await consumer.stop(graceful=True)
        return None

    async def _stop_js_consumers(self, conn):
        consumers = list(conn.js_consumers.values())
        conn.js_consumers.clear()
        for consumer in consumers:
            await consumer.stop(graceful=False)

    # ---- flush / drain / close / stats ----------------------------------------

    async def flush(self, f):
        conn = self.require_conn()
        timeout_ms = f.int("timeout_ms")
        timeout_ms = 10_000 if timeout_ms is None else timeout_ms
        if timeout_ms <= 0:
            raise BadCommand("field 'timeout_ms' must be > 0")
        await conn.nc.flush(timeout=timeout_ms / 1000.0)
        return None

    def drain(self, cid):
        conn = self.require_conn()
        self.spawn(self._drain(cid, conn))

    async def _drain(self, cid, conn):
        """Acks once the connection has drained and closed."""
        started = mono_ns()
        # Pull consumers stop fetching first (their last fetch is still reported and acked), or
        # their loops would fetch on a draining connection; push consumers drain with the rest.
        consumers = list(conn.js_consumers.values())
        await asyncio.gather(*(c.finish_fetching() for c in consumers))
        try:
            # nats.py drains the subscriptions, flushes, then closes (closed
            # callback) within drain() itself; a drain timeout goes to the
            # error callback as DrainTimeoutError and the close still happens.
            await conn.nc.drain()
        except Exception as e:
            ack_error(cid, from_exception(e))
            return
        wait_s = (conn.drain_timeout_s or DEFAULT_DRAIN_TIMEOUT_S) + 5.0
        try:
            await asyncio.wait_for(conn.closed.wait(), wait_s)
        except asyncio.TimeoutError:
            ack_error(cid, DriverError("timeout", "connection not closed %d ms after drain started"
                                       % int(wait_s * 1000)))
            return
        if conn.drain_timed_out_since(started):
            ack_error(cid, from_exception(nats_errors.DrainTimeoutError()))
        else:
            ack_ok(cid)

    async def close(self):
        conn = self.require_conn()
        await self._close_conn(conn, "close")
        return None

    async def _close_conn(self, conn, what):
        await self._stop_js_consumers(conn)
        task = conn.connect_task
        if task is not None and not task.done():
            # A pending connect still retrying: stop it, or nats.py's connect
            # loop would go on and connect after the close.
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            await asyncio.wait_for(conn.nc.close(), CLOSE_WAIT_S)
        except asyncio.TimeoutError:
            pass
        except Exception as e:
            events.log("%s: nats.py close failed: %s" % (what, from_exception(e).message))
        if not conn.closed.is_set():
            # Timed out, or nats.py considered the connection closed already
            # and called no callback (it does so when close() finds it in its
            # CLOSED state, e.g. between two tries of a first connect).
            events.log("%s: no closed callback within 5 s" % what)
            conn.mark_closed()

    def stats(self):
        conn = self.require_conn()
        st = conn.nc.stats
        events.emit("stats", {
            "in_msgs": st.get("in_msgs", 0), "out_msgs": st.get("out_msgs", 0),
            "in_bytes": st.get("in_bytes", 0), "out_bytes": st.get("out_bytes", 0),
            "reconnects": st.get("reconnects", 0),
            "errors_received": st.get("errors_received", 0),
        })
        return None


# --------------------------------------------------------------------------
# Main loop.
# --------------------------------------------------------------------------

# The event loop keeps only weak references to tasks: a task nobody holds can
# be garbage-collected while it waits. Background tasks are kept here.
_background = set()

OVERLONG = b"\0"  # stands for a stdin line over the reader's limit


async def open_stdin(queue):
    """Feeds stdin lines (bytes, b"" at EOF) into `queue` without blocking
    the event loop: a pipe reader when stdin is a pipe/tty/socket, else a
    daemon thread (e.g. stdin redirected from a regular file)."""
    loop = asyncio.get_running_loop()
    try:
        mode = os.fstat(0).st_mode
        pollable = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(0)
    except OSError:
        pollable = False
    if not pollable:
        # Regular files and devices such as /dev/null cannot be polled
        # (epoll refuses them), so read them on a thread.
        def read_blocking():
            try:
                for raw in sys.stdin.buffer:
                    loop.call_soon_threadsafe(queue.put_nowait, raw)
            except (OSError, ValueError):
                pass
            loop.call_soon_threadsafe(queue.put_nowait, b"")
        threading.Thread(target=read_blocking, name="stdin", daemon=True).start()
        return
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def pump():
        while True:
            try:
                raw = await reader.readline()
            except ValueError:  # a line over the limit: dropped
                await queue.put(OVERLONG)
                continue
            await queue.put(raw)
            if not raw:
                return
    task = loop.create_task(pump())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def main():
    driver = Driver()
    stderr_line("nats.py %s, python %s, pid %d, DRIVER-PROTOCOL v1.1"
                % (NATS_PY_VERSION, sys.version.split()[0], os.getpid()))
    events.emit("hello", {
        "protocol": PROTOCOL,
        "protocol_minor": PROTOCOL_MINOR,
        "library": LIBRARY,
        "library_version": NATS_PY_VERSION,
        "capabilities": CAPABILITIES,
    })
    if mutant is not None:
        stderr_line("MUTANT %s: %s" % (mutant, MUTANTS[mutant]))
        events.log("mutant %s: %s" % (mutant, MUTANTS[mutant]))

    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()
    commands = asyncio.Queue()
    stopping = asyncio.Event()  # set on EOF or `exit`
    await open_stdin(lines)

    async def read_commands():
        """Parses lines as they come; `exit` and EOF end the reading."""
        while True:
            raw = await lines.get()
            if not raw:
                await commands.put(("eof", None))
                break
            if raw is OVERLONG:
                await commands.put(("log", "ignored input: a line longer than 64 MiB"))
                continue
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            parsed = parse_line(line)
            if parsed[0] == "garbage":
                await commands.put(("log", "ignored input: " + parsed[1]))
            elif parsed[0] == "bad":
                await commands.put(("bad", parsed[1], parsed[2]))
            elif parsed[1].op == "exit":
                await commands.put(("exit", parsed[1]))
                break
            else:
                await commands.put(("cmd", parsed[1]))
        stopping.set()

    async def finish_connect(task):
        """Waits for a connect. nats.py may retry a first connect for a long
        time (forever with max_reconnects -1), so after EOF or `exit` a
        connect still under way is cancelled as soon as nats.py has reported
        a failed try, or after 5 s: the driver always gets to exit, and a
        connect that is simply in progress still completes. Other ops are
        bounded and need no such care."""
        stopper = loop.create_task(stopping.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        deadline = time.monotonic() + CLOSE_WAIT_S
        while not task.done():
            conn = driver.conn
            if (conn is not None and conn.error_count) or time.monotonic() >= deadline:
                task.cancel()
                break
            await asyncio.wait({task}, timeout=0.05)

    reader_task = loop.create_task(read_commands())
    while True:
        item = await commands.get()
        if item[0] == "log":  # in line order with the acks of the commands around it
            events.log(item[1])
            continue
        if item[0] == "bad":
            ack_error(item[1], DriverError.other(item[2]))
            continue
        if item[0] == "cmd":
            cmd = item[1]
            task = loop.create_task(driver.handle(cmd))
            if cmd.op == "connect":
                await finish_connect(task)
            await asyncio.gather(task, return_exceptions=True)
            continue
        # EOF or exit: commands before it have been carried out (or started).
        kind, cmd = item
        stderr_line("stdin closed: closing and exiting" if kind == "eof"
                    else "exit op: closing and exiting")
        await driver.shutdown()
        if cmd is not None:
            ack_ok(cmd.id)
        reader_task.cancel()
        # Leave at once: nats.py tasks left behind (or a stdin reader
        # thread) must not hold up the exit, as cancelling them at the end
        # of asyncio.run() could.
        stderr_line("exit 0")
        os._exit(0)


def run():
    global mutant
    if sys.argv[1:] == ["--list-mutants"]:  # "NAME<TAB>DEFECT" lines, read by scripts/mutants
        for name in sorted(MUTANTS):
            print("%s\t%s" % (name, MUTANTS[name]))
        return
    mutant = parse_mutant_flag(sys.argv[1:])
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="natsfault-driver-py: %(name)s: %(message)s")
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        os._exit(130)
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)


if __name__ == "__main__":
    run()
