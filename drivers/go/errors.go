// nats.go errors → the shared error vocabulary of DRIVER-PROTOCOL v1.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// driverError is the protocol's error object {"kind","message","native"}.
type driverError struct {
	kind    string
	message string
	native  string // "" when there is none
}

func (e *driverError) Error() string { return e.message }

func (e *driverError) json() fields {
	f := fields{{"kind", e.kind}, {"message", e.message}}
	if e.native != "" {
		f = append(f, field{"native", e.native})
	}
	return f
}

// key identifies an outcome for batching published ranges.
func (e *driverError) key() string {
	if e == nil {
		return ""
	}
	return e.kind + "\x01" + e.message + "\x01" + e.native
}

func otherError(format string, args ...interface{}) *driverError {
	return &driverError{kind: "other", message: fmt.Sprintf(format, args...)}
}

// sentinel is one of nats.go's exported error values and its kind.
type sentinel struct {
	err  error
	name string
	kind string
}

// sentinels lists nats.go 1.22.1's error values the driver can meet, with
// their kinds. errors.Is matches them, also when wrapped (micro wraps with %w).
var sentinels = []sentinel{
	{nats.ErrStaleConnection, "nats.ErrStaleConnection", "stale_connection"},
	{nats.ErrConnectionClosed, "nats.ErrConnectionClosed", "connection_closed"},
	{nats.ErrNoServers, "nats.ErrNoServers", "no_servers"},
	{nats.ErrTimeout, "nats.ErrTimeout", "timeout"},
	{nats.ErrDrainTimeout, "nats.ErrDrainTimeout", "timeout"},
	{nats.ErrNoResponders, "nats.ErrNoResponders", "no_responders"},
	{nats.ErrSlowConsumer, "nats.ErrSlowConsumer", "slow_consumer"},
	{nats.ErrAuthorization, "nats.ErrAuthorization", "authorization_violation"},
	// nats.c has no separate code for a revoked user: the nearest is a
	// rejected authorization.
	{nats.ErrAuthRevoked, "nats.ErrAuthRevoked", "authorization_violation"},
	{nats.ErrAuthExpired, "nats.ErrAuthExpired", "authentication_expired"},
	{nats.ErrAccountAuthExpired, "nats.ErrAccountAuthExpired", "authentication_expired"},
	{nats.ErrMaxConnectionsExceeded, "nats.ErrMaxConnectionsExceeded", "max_connections_exceeded"},
	{nats.ErrReconnectBufExceeded, "nats.ErrReconnectBufExceeded", "reconnect_buffer_exceeded"},
	{nats.ErrConnectionDraining, "nats.ErrConnectionDraining", "draining"},
	// Both say the connection is down for now; like nats.c's
	// NATS_CONNECTION_DISCONNECTED they count as I/O trouble.
	{nats.ErrConnectionReconnecting, "nats.ErrConnectionReconnecting", "io_error"},
	{nats.ErrDisconnected, "nats.ErrDisconnected", "io_error"},
	{nats.ErrNoInfoReceived, "nats.ErrNoInfoReceived", "protocol_error"},
	{nats.ErrMaxPayload, "nats.ErrMaxPayload", "max_payload_exceeded"},
	{nats.ErrBadSubject, "nats.ErrBadSubject", "other"},
	{nats.ErrBadQueueName, "nats.ErrBadQueueName", "other"},
	{nats.ErrBadTimeout, "nats.ErrBadTimeout", "other"},
	{nats.ErrBadSubscription, "nats.ErrBadSubscription", "other"},
	{nats.ErrInvalidConnection, "nats.ErrInvalidConnection", "other"},
	{nats.ErrInvalidArg, "nats.ErrInvalidArg", "other"},
	{nats.ErrMsgNoReply, "nats.ErrMsgNoReply", "other"},
	{nats.ErrHeadersNotSupported, "nats.ErrHeadersNotSupported", "other"},
	{nats.ErrNoEchoNotSupported, "nats.ErrNoEchoNotSupported", "other"},
	{nats.ErrSecureConnRequired, "nats.ErrSecureConnRequired", "other"},
	{nats.ErrSecureConnWanted, "nats.ErrSecureConnWanted", "other"},
	{nats.ErrJsonParse, "nats.ErrJsonParse", "other"},
	{context.DeadlineExceeded, "context.DeadlineExceeded", "timeout"},
	// JetStream (protocol 1.1). The API errors among them (stream and
	// consumer not found, JetStream not enabled) match a server's error by
	// its err_code, also when nats.go passes the server's *nats.APIError on.
	{nats.ErrJetStreamNotEnabled, "nats.ErrJetStreamNotEnabled", "jetstream_not_enabled"},
	{nats.ErrJetStreamNotEnabledForAccount, "nats.ErrJetStreamNotEnabledForAccount", "jetstream_not_enabled"},
	{nats.ErrStreamNotFound, "nats.ErrStreamNotFound", "stream_not_found"},
	{nats.ErrConsumerNotFound, "nats.ErrConsumerNotFound", "consumer_not_found"},
	{nats.ErrConsumerDeleted, "nats.ErrConsumerDeleted", "consumer_deleted"},
	// Missed heartbeats: nats.go's only report of them (push consumers with
	// idle heartbeats, through the async error handler).
	{nats.ErrConsumerNotActive, "nats.ErrConsumerNotActive", "heartbeats_missed"},
	// A JetStream publish that met no responders (after nats.go's own retries).
	{nats.ErrNoStreamResponse, "nats.ErrNoStreamResponse", "no_responders"},
	{nats.ErrConsumerLeadershipChanged, "nats.ErrConsumerLeadershipChanged", "other"},
	{nats.ErrInvalidJSAck, "nats.ErrInvalidJSAck", "other"},
	{nats.ErrPullSubscribeToPushConsumer, "nats.ErrPullSubscribeToPushConsumer", "other"},
	{nats.ErrPullSubscribeRequired, "nats.ErrPullSubscribeRequired", "other"},
	{nats.ErrSubjectMismatch, "nats.ErrSubjectMismatch", "other"},
	{nats.ErrMsgAlreadyAckd, "nats.ErrMsgAlreadyAckd", "other"},
	{nats.ErrNotJSMessage, "nats.ErrNotJSMessage", "other"},
	{nats.ErrInvalidStreamName, "nats.ErrInvalidStreamName", "other"},
	{nats.ErrInvalidConsumerName, "nats.ErrInvalidConsumerName", "other"},
	{nats.ErrStreamNameRequired, "nats.ErrStreamNameRequired", "other"},
	{nats.ErrConsumerNameRequired, "nats.ErrConsumerNameRequired", "other"},
	{micro.ErrConfigValidation, "micro.ErrConfigValidation", "other"},
	{micro.ErrRespond, "micro.ErrRespond", "other"},
}

// apiErrorKinds are the kinds of JetStream API error codes that nats.go has
// no error value for (nats-server's JSErrCodes); any other code is "other".
var apiErrorKinds = map[nats.ErrorCode]string{
	10060: "stream_not_found",      // JSStreamNotMatchErr: expected stream does not match
	10071: "wrong_last_sequence",   // JSStreamWrongLastSequenceErrF: wrong last sequence: N
	10014: "consumer_not_found",    // JSConsumerNotFoundErr (also a nats.go error value)
	10059: "stream_not_found",      // JSStreamNotFoundErr (also a nats.go error value)
	10076: "jetstream_not_enabled", // JSNotEnabledErr
	10039: "jetstream_not_enabled", // JSNotEnabledForAccountErr
}

// serverErrorKinds are kinds for the texts of server -ERR lines that nats.go
// passes on as plain errors.New("nats: " + text), without an error value:
// e.g. 'maximum connections exceeded' received while connecting (only the
// same -ERR on an established connection becomes ErrMaxConnectionsExceeded),
// and every 'permissions violation for ...'.
var serverErrorKinds = []struct{ text, kind string }{
	{"maximum connections exceeded", "max_connections_exceeded"},
	{"authentication expired", "authentication_expired"},
	{"authorization violation", "authorization_violation"},
	{"permissions violation", "permissions_violation"},
	{"stale connection", "stale_connection"},
	// The server's -ERR 'Maximum Payload Violation': the limit ErrMaxPayload checks, enforced by the server.
	{"maximum payload", "max_payload_exceeded"},
	{"parse error", "protocol_error"},
	{"unknown protocol", "protocol_error"},
	{"protocol exception", "protocol_error"},
}

// errnoNames names the errno values met on sockets (for native).
var errnoNames = map[syscall.Errno]string{
	syscall.ECONNREFUSED:  "ECONNREFUSED",
	syscall.ECONNRESET:    "ECONNRESET",
	syscall.ECONNABORTED:  "ECONNABORTED",
	syscall.EPIPE:         "EPIPE",
	syscall.ETIMEDOUT:     "ETIMEDOUT",
	syscall.EHOSTUNREACH:  "EHOSTUNREACH",
	syscall.ENETUNREACH:   "ENETUNREACH",
	syscall.EADDRNOTAVAIL: "EADDRNOTAVAIL",
}

// classify maps a nats.go error onto the shared kinds. message is always the
// library's own text; native is the Go error variable ("nats.ErrTimeout") or
// the error's type, with the errno for socket errors
// ("*net.OpError ECONNREFUSED").
func classify(err error) *driverError {
	de := classifyLibraryError(err)
	if de != nil && is("errors-as-other") {
		return &driverError{kind: "other", message: de.message, native: de.native}
	}
	return de
}

// classifyLibraryError is classify without the errors-as-other mutant.
func classifyLibraryError(err error) *driverError {
	if err == nil {
		return nil
	}
	if de, ok := err.(*driverError); ok {
		return de
	}
	msg := err.Error()
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return &driverError{kind: s.kind, message: msg, native: s.name}
		}
	}
	native := fmt.Sprintf("%T", err)
	// Other JetStream API errors: the server's err_code says what it was.
	var apiErr *nats.APIError
	if errors.As(err, &apiErr) {
		kind, ok := apiErrorKinds[apiErr.ErrorCode]
		if !ok {
			kind = "other"
		}
		return &driverError{kind: kind, message: msg, native: fmt.Sprintf("*nats.APIError %d", apiErr.ErrorCode)}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		name := errnoNames[errno]
		if name == "" {
			name = fmt.Sprintf("errno %d", int(errno))
		}
		native += " " + name
	}
	switch {
	case err == io.EOF:
		return &driverError{kind: "io_error", message: msg, native: "io.EOF"}
	case err == io.ErrUnexpectedEOF:
		return &driverError{kind: "io_error", message: msg, native: "io.ErrUnexpectedEOF"}
	}
	lower := strings.ToLower(msg)
	for _, t := range serverErrorKinds {
		if strings.Contains(lower, t.text) {
			return &driverError{kind: t.kind, message: msg, native: native}
		}
	}
	if errno == syscall.ECONNREFUSED || strings.Contains(lower, "connection refused") {
		return &driverError{kind: "connection_refused", message: msg, native: native}
	}
	// A dial that ran out of connect_timeout is a timeout; a read or write
	// that failed on an established connection (keepalive ETIMEDOUT
	// included) is an I/O error.
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		if opErr.Op == "dial" && opErr.Timeout() {
			return &driverError{kind: "timeout", message: msg, native: native}
		}
		return &driverError{kind: "io_error", message: msg, native: native}
	}
	if errno != 0 || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
		return &driverError{kind: "io_error", message: msg, native: native}
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return &driverError{kind: "io_error", message: msg, native: native}
	}
	return &driverError{kind: "other", message: msg, native: native}
}
