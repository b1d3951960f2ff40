package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestPayloadRoundTrip(t *testing.T) {
	p := makePayload(42, "p1", 16)
	if string(p) != "42 p1..........." {
		t.Fatalf("payload %q", p)
	}
	seq, stream, ok := parsePayload(p)
	if !ok || seq != 42 || stream != "p1" {
		t.Fatalf("parsed %d %q %v", seq, stream, ok)
	}
	if p := makePayload(7, "long-stream", 3); string(p) != "7 long-stream" {
		t.Fatalf("short payload_bytes must not truncate: %q", p)
	}
}

func TestPayloadThatDoesNotParse(t *testing.T) {
	for _, s := range []string{"", "abc", "12", "12 ", "12 a b", " 1 a", "1 .", "1 ....", "{\"ping\":1}"} {
		if seq, _, ok := parsePayload([]byte(s)); ok || seq != 0 {
			t.Errorf("%q parsed as %d", s, seq)
		}
	}
}

func TestAppendStringEscapes(t *testing.T) {
	got := string(appendString(nil, "a\"b\\c\nd\x01\x7f\u2028é\xff"))
	want := `"a\"b\\c\nd\u0001\u007f\u2028é\ufffd"`
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	cases := []struct {
		err          error
		kind, native string
	}{
		{nats.ErrStaleConnection, "stale_connection", "nats.ErrStaleConnection"},
		{nats.ErrNoServers, "no_servers", "nats.ErrNoServers"},
		{nats.ErrNoResponders, "no_responders", "nats.ErrNoResponders"},
		{nats.ErrReconnectBufExceeded, "reconnect_buffer_exceeded", "nats.ErrReconnectBufExceeded"},
		{nats.ErrMaxPayload, "max_payload_exceeded", "nats.ErrMaxPayload"},
		{errors.New("nats: Maximum Payload Violation"), "max_payload_exceeded", "*errors.errorString"},
		{fmt.Errorf("wrapped: %w", nats.ErrTimeout), "timeout", "nats.ErrTimeout"},
		{errors.New("nats: maximum connections exceeded"), "max_connections_exceeded", "*errors.errorString"},
		{errors.New(`nats: Permissions Violation for Publish to "x"`), "permissions_violation", "*errors.errorString"},
		{io.EOF, "io_error", "io.EOF"},
		{refused, "connection_refused", "*net.OpError ECONNREFUSED"},
		{reset, "io_error", "*net.OpError ECONNRESET"},
		{errors.New("something else"), "other", "*errors.errorString"},
	}
	for _, c := range cases {
		e := classify(c.err)
		if e.kind != c.kind || e.native != c.native || e.message != c.err.Error() {
			t.Errorf("%v: got %s/%s/%s", c.err, e.kind, e.native, e.message)
		}
	}
}

func TestParseLine(t *testing.T) {
	if p := parseLine("not json"); p.garbage == "" {
		t.Error("non-JSON line not garbage")
	}
	if p := parseLine(`{"id":1.5,"op":"x"}`); p.garbage == "" {
		t.Error("non-integer id not garbage")
	}
	if p := parseLine(`{"id":3}`); p.badID == nil || *p.badID != 3 {
		t.Error("missing op not a bad command")
	}
	p := parseLine(`{"id":2,"op":"publish","count":10.0}`)
	if p.cmd == nil || p.cmd.op != "publish" {
		t.Fatal("command not parsed")
	}
	if n, err := p.cmd.fields.int("count", 1); err != nil || n != 10 {
		t.Errorf("count %d %v", n, err)
	}
}

func TestMutantFlag(t *testing.T) {
	if m, err := parseMutantFlag(nil); m != "" || err != nil {
		t.Fatalf("no arguments: the real driver, got %q %v", m, err)
	}
	if m, err := parseMutantFlag([]string{"--mutant", "closed-early"}); m != "closed-early" || err != nil {
		t.Fatalf("--mutant closed-early: got %q %v", m, err)
	}
	for _, args := range [][]string{{"--mutant", "nope"}, {"--mutant"}, {"closed-early"}, {"--verbose"}} {
		if _, err := parseMutantFlag(args); err == nil {
			t.Fatalf("%q must be refused", args)
		}
	}
	if is("") || is("closed-early") {
		t.Fatal("without the flag no mutant is on")
	}
}

func TestClassifyJetStream(t *testing.T) {
	cases := []struct {
		err          error
		kind, native string
	}{
		{nats.ErrNoStreamResponse, "no_responders", "nats.ErrNoStreamResponse"},
		{nats.ErrConsumerNotFound, "consumer_not_found", "nats.ErrConsumerNotFound"},
		{nats.ErrConsumerDeleted, "consumer_deleted", "nats.ErrConsumerDeleted"},
		{nats.ErrConsumerNotActive, "heartbeats_missed", "nats.ErrConsumerNotActive"},
		{nats.ErrJetStreamNotEnabled, "jetstream_not_enabled", "nats.ErrJetStreamNotEnabled"},
		{context.DeadlineExceeded, "timeout", "context.DeadlineExceeded"},
		// Server errors as a publish gets them: the *nats.APIError of its acknowledgement.
		{&nats.APIError{Code: 404, ErrorCode: 10059, Description: "stream not found"}, "stream_not_found", "nats.ErrStreamNotFound"},
		{&nats.APIError{Code: 400, ErrorCode: 10060, Description: "expected stream does not match"}, "stream_not_found", "*nats.APIError 10060"},
		{&nats.APIError{Code: 400, ErrorCode: 10071, Description: "wrong last sequence: 4"}, "wrong_last_sequence", "*nats.APIError 10071"},
		{&nats.APIError{Code: 503, ErrorCode: 10039, Description: "jetstream not enabled for account"}, "jetstream_not_enabled", "nats.ErrJetStreamNotEnabledForAccount"},
		{&nats.APIError{Code: 400, ErrorCode: 10070, Description: "wrong last msg ID: x"}, "other", "*nats.APIError 10070"},
	}
	for _, c := range cases {
		e := classify(c.err)
		if e.kind != c.kind || e.native != c.native || e.message != c.err.Error() {
			t.Errorf("%v: got %s/%s/%s", c.err, e.kind, e.native, e.message)
		}
	}
}

func TestJSAckBatcherRanges(t *testing.T) {
	// Only the grouping is checked here: add must start a new range when the
	// stream sequence does not run in step or the duplicate flag changes
	// (the ranges it writes are dropped: no stdout in tests).
	events.mu.Lock()
	events.broken = true
	events.mu.Unlock()
	defer func() {
		events.mu.Lock()
		events.broken = false
		events.mu.Unlock()
	}()
	b := newJSAckBatcher("p")
	b.stop() // no ticker flushes while the ranges are looked at
	b.add(1, &nats.PubAck{Stream: "S", Sequence: 10}, 1, 1)
	b.add(2, &nats.PubAck{Stream: "S", Sequence: 11}, 2, 1)
	if !b.have || b.run.from != 1 || b.run.to != 2 || b.run.first.Sequence != 10 {
		t.Fatalf("in-step acks not one range: %+v", b.run)
	}
	b.add(3, &nats.PubAck{Stream: "S", Sequence: 20}, 3, 1)
	if b.run.from != 3 || b.run.to != 3 || b.run.first.Sequence != 20 {
		t.Fatalf("out-of-step ack must start a new range: %+v", b.run)
	}
	b.add(4, &nats.PubAck{Stream: "S", Sequence: 21, Duplicate: true}, 4, 1)
	if b.run.from != 4 || b.run.to != 4 || !b.run.first.Duplicate {
		t.Fatalf("a duplicate must start a new range: %+v", b.run)
	}
}
