// One nats.go connection and its callbacks. nats.go runs connection
// callbacks on one dispatcher goroutine, in order, and each subscription's
// handler on that subscription's goroutine; each callback becomes one event.

package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// connection is the state shared by the command loop, op goroutines and
// nats.go callbacks for one connection.
type connection struct {
	nc *nats.Conn // set once Connect returned; nil before

	// Options applied by the driver rather than by nats.Options.
	drainTimeout   time.Duration // 0: nats.go's default (30 s)
	maxPendingMsgs int           // 0: nats.go's per-subscription default

	connectedOnce int32         // atomic: 1 once `connected` was emitted
	connected     chan struct{} // closed when `connected` was emitted
	closed        chan struct{} // closed by the closed callback
	closeOnce     sync.Once
	closedEarly   int32 // atomic: 1 once the closed-early mutant reported `closed`

	subNames sync.Map // *nats.Subscription → name for reports

	// JetStream (jetstream.go).
	jsOnce      sync.Once
	js          nats.JetStreamContext
	jsErr       error
	consumersMu sync.Mutex
	consumers   map[string]*jsConsumer // js_consume sub name → consumer
	jsSubs      sync.Map               // *nats.Subscription → *jsConsumer

	mu          sync.Mutex
	asyncErrors []asyncError
}

// asyncError is one error reported through the async error callback.
type asyncError struct {
	mono uint64
	err  error
}

func newConnection() *connection {
	return &connection{connected: make(chan struct{}), closed: make(chan struct{}),
		consumers: map[string]*jsConsumer{}}
}

// isClosed is true once the closed callback ran (or nats.go says so).
func (c *connection) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
	}
	return c.nc != nil && c.nc.IsClosed()
}

func (c *connection) markClosed() {
	c.closeOnce.Do(func() { close(c.closed) })
}

// waitClosed waits for the closed callback; false on timeout.
func (c *connection) waitClosed(timeout time.Duration) bool {
	select {
	case <-c.closed:
		return true
	case <-time.After(timeout):
		return false
	}
}

// markConnected is true for the first caller only: that one emits
// `connected`, every later connection is a `reconnected`.
func (c *connection) markConnected() bool {
	if atomic.CompareAndSwapInt32(&c.connectedOnce, 0, 1) {
		close(c.connected)
		return true
	}
	return false
}

func (c *connection) noteAsyncError(err error, mono uint64) {
	c.mu.Lock()
	c.asyncErrors = append(c.asyncErrors, asyncError{mono, err})
	c.mu.Unlock()
}

// asyncErrorAfter is the first asynchronous error `target` reported at or
// after mono, or nil.
func (c *connection) asyncErrorAfter(target error, mono uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.asyncErrors {
		if e.mono >= mono && e.err == target {
			return e.err
		}
	}
	return nil
}

func (c *connection) subName(sub *nats.Subscription) (string, bool) {
	if sub == nil {
		return "", false
	}
	v, ok := c.subNames.Load(sub)
	if !ok {
		return "", false
	}
	return v.(string), true
}

// emitConnected emits `connected` or `reconnected` {url, server_id}.
func emitConnected(event string, nc *nats.Conn, mono uint64) {
	var f fields
	if url := nc.ConnectedUrl(); url != "" {
		f = append(f, field{"url", url})
	}
	if id := nc.ConnectedServerId(); id != "" {
		f = append(f, field{"server_id", id})
	}
	events.emitAt(event, f, mono)
}

// install sets the connection callbacks on opts.
func (c *connection) install(opts *nats.Options) {
	opts.DisconnectedErrCB = c.onDisconnected
	opts.ReconnectedCB = c.onReconnected
	opts.ClosedCB = c.onClosed
	opts.AsyncErrorCB = c.onAsyncError
	opts.LameDuckModeHandler = c.onLameDuck
	opts.DiscoveredServersCB = c.onDiscoveredServers
}

// onConnected is nats.go's ConnectedCB, set with retry_on_failed_connect
// only: it fires when Connect itself got through.
func (c *connection) onConnected(nc *nats.Conn) {
	mono := monoNow()
	if c.markConnected() {
		emitConnected("connected", nc, mono)
	}
}

// onReconnected: with retry_on_failed_connect, nats.go 1.22.1 reports the
// first successful connection made in the background through ReconnectedCB
// (ConnectedCB only fires when Connect itself succeeded), so the first one
// is the protocol's `connected`.
func (c *connection) onReconnected(nc *nats.Conn) {
	mono := monoNow()
	if c.markConnected() {
		emitConnected("connected", nc, mono)
	} else {
		emitConnected("reconnected", nc, mono)
		mutateReconnected(c)
	}
}

// onDisconnected gets the cause from nats.go when it starts reconnecting
// (io.EOF, ErrStaleConnection, ...); when the connection closes instead the
// cause is only in LastError.
func (c *connection) onDisconnected(nc *nats.Conn, err error) {
	mono := monoNow()
	if err == nil {
		err = nc.LastError()
	}
	var f fields
	if err != nil {
		f = append(f, field{"error", classify(err)})
	}
	events.emitAt("disconnected", f, mono)
	if is("closed-early") && atomic.CompareAndSwapInt32(&c.closedEarly, 0, 1) {
		events.emitAt("closed", f, mono)
	}
}

func (c *connection) onClosed(nc *nats.Conn) {
	mono := monoNow()
	var f fields
	if err := nc.LastError(); err != nil {
		f = append(f, field{"error", classify(err)})
	}
	if atomic.LoadInt32(&c.closedEarly) == 0 {
		events.emitAt("closed", f, mono)
	}
	c.markClosed()
}

// onAsyncError reports slow consumers, permission violations, auth errors
// while reconnecting and drain timeouts. sub is nil for connection-level errors.
// An error of a js_consume subscription (nats.ErrConsumerNotActive: missed
// heartbeats, a slow consumer, ...) is that consumer's js_consumer_error.
func (c *connection) onAsyncError(nc *nats.Conn, sub *nats.Subscription, err error) {
	mono := monoNow()
	c.noteAsyncError(err, mono)
	if cons := c.jsConsumerOf(sub); cons != nil {
		cons.reportError(err, false)
		return
	}
	f := fields{{"error", classify(err)}}
	if name, ok := c.subName(sub); ok {
		f = append(f, field{"sub", name})
	} else if sub != nil {
		// e.g. the subscriptions the micro package makes for a service.
		f = append(f, field{"subject", sub.Subject})
	}
	events.emitAt("error", f, mono)
}

func (c *connection) onLameDuck(nc *nats.Conn) {
	mono := monoNow()
	var f fields
	if url := nc.ConnectedUrl(); url != "" {
		f = append(f, field{"url", url})
	}
	events.emitAt("lame_duck", f, mono)
}

func (c *connection) onDiscoveredServers(nc *nats.Conn) {
	mono := monoNow()
	urls := nc.DiscoveredServers()
	if urls == nil {
		urls = []string{}
	}
	events.emitAt("discovered_servers", fields{{"urls", urls}}, mono)
}

// messageHandler is the handler of `subscribe`: one `message` event per message.
func messageHandler(name string) nats.MsgHandler {
	return func(m *nats.Msg) {
		mono := monoNow()
		seq, stream, ok := parsePayload(m.Data)
		f := fields{{"sub", name}, {"subject", m.Subject}, {"seq", seq}}
		if ok {
			f = append(f, field{"stream", stream})
		}
		f = append(f, field{"bytes", len(m.Data)})
		events.emitAt("message", f, mono)
	}
}

// replyHandler is the handler of `reply`: answers each request with its own
// payload; messages without a reply subject are ignored.
func replyHandler(name string, nc *nats.Conn) nats.MsgHandler {
	return func(m *nats.Msg) {
		if m.Reply == "" {
			return
		}
		if err := nc.Publish(m.Reply, m.Data); err != nil {
			e := classify(err)
			events.log("reply " + name + ": answering a request failed: " + e.native + " " + e.message)
		}
	}
}
