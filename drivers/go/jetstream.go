// DRIVER-PROTOCOL 1.1: the JetStream ops (js_publish, js_consume, js_stop) on
// nats.go 1.22.1's JetStreamContext. The driver never creates, updates or
// deletes a stream or a consumer: it publishes, and binds to existing durables
// (nats.Bind).

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// jetStream is the connection's JetStreamContext, made on first use (nats.go
// makes it without asking the server anything).
func (c *connection) jetStream() (nats.JetStreamContext, error) {
	c.jsOnce.Do(func() { c.js, c.jsErr = c.nc.JetStream() })
	return c.js, c.jsErr
}

// MARK: js_publish

func (d *driver) jsPublish(id int64, a args) error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	p, err := readPublishArgs(a)
	if err != nil {
		return err
	}
	ackTimeoutMs, err := a.int("ack_timeout_ms", 2000)
	if err != nil {
		return err
	}
	msgID, err := a.bool("msg_id", false)
	if err != nil {
		return err
	}
	jsStream, err := a.string("js_stream", "")
	if err != nil {
		return err
	}
	if ackTimeoutMs <= 0 {
		return badf("field 'ack_timeout_ms' must be > 0")
	}
	js, err := c.jetStream()
	if err != nil {
		return err
	}
	ackTimeout := time.Duration(ackTimeoutMs) * time.Millisecond

	d.run(func() {
		var okCount, failed int64
		var firstErr *driverError
		// As for publish: unpaced floods batch their js_acks into ranges,
		// paced publishes get one event per message.
		var batcher *rangeBatcher[*nats.PubAck]
		if !p.hasRate {
			batcher = newJSAckBatcher(p.stream)
		}
		next := p.paced(func(seq int64) {
			payload := makePayload(seq, p.stream, p.size)
			// nats.AckWait is the publish's request timeout. nats.go retries a
			// publish that meets no responders itself (2 more tries, 250 ms
			// apart, within that timeout); the driver never retries.
			opts := []nats.PubOpt{nats.AckWait(ackTimeout)}
			if msgID {
				opts = append(opts, nats.MsgId(fmt.Sprintf("%s-%d", p.stream, seq)))
			}
			if jsStream != "" {
				opts = append(opts, nats.ExpectStream(jsStream))
			}
			sent := monoNow()
			pa, perr := js.Publish(p.subject, payload, opts...)
			mono := monoNow()
			if perr == nil {
				okCount++
				if batcher != nil {
					batcher.add(seq, pa, mono, mono-sent)
					return
				}
				events.emitAt("js_ack", fields{
					{"stream", p.stream}, {"seq", seq}, {"js_stream", pa.Stream}, {"js_seq", pa.Sequence},
					{"duplicate", pa.Duplicate}, {"call_ns", mono - sent},
				}, mono)
				return
			}
			failed++
			de := classify(perr)
			if firstErr == nil {
				firstErr = de
			}
			if batcher != nil {
				batcher.flush() // keeps the events in publish order
			}
			events.emitAt("js_publish_failed", fields{
				{"stream", p.stream}, {"seq", seq}, {"error", de}, {"call_ns", mono - sent},
			}, mono)
		})
		if batcher != nil {
			batcher.stop()
		}
		ackLongOp(id, next, p.count, okCount, failed, firstErr)
	})
	return nil
}

// newJSAckBatcher batches the js_acks of consecutive publishes whose stream
// sequences run in step (same stream, same duplicate flag) into ranges.
func newJSAckBatcher(stream string) *rangeBatcher[*nats.PubAck] {
	return newRangeBatcher(func(r *batchRun[*nats.PubAck], seq int64, pa *nats.PubAck) bool {
		return pa.Stream == r.first.Stream && pa.Duplicate == r.first.Duplicate &&
			pa.Sequence == r.first.Sequence+uint64(seq-r.from)
	}, func(r *batchRun[*nats.PubAck]) {
		f := fields{{"stream", stream}}
		if r.from == r.to {
			f = append(f, field{"seq", r.from}, field{"js_stream", r.first.Stream}, field{"js_seq", r.first.Sequence})
		} else {
			f = append(f, field{"from", r.from}, field{"to", r.to}, field{"js_stream", r.first.Stream},
				field{"js_seq_from", r.first.Sequence}, field{"js_seq_to", r.first.Sequence + uint64(r.to-r.from)})
		}
		f = append(f, field{"duplicate", r.first.Duplicate})
		if r.from != r.to {
			f = append(f, field{"first_mono_ns", r.firstMono})
		}
		f = append(f, field{"call_ns", r.longestCall})
		events.emitAt("js_ack", f, r.lastMono)
	})
}

// MARK: js_consume / js_stop

// jsConsumer is one js_consume: a subscription bound to an existing durable.
type jsConsumer struct {
	c               *connection
	name            string
	stream, durable string
	pull            bool
	batch           int
	fetchTimeout    time.Duration
	ack             bool
	sub             *nats.Subscription
	received        int64 // atomic: messages received, for the js-ack-before-process mutant

	// pull: the fetch loop's context and its end.
	cancel context.CancelFunc
	done   chan struct{}

	// push: the message handler runs under mu and does nothing once stopped,
	// so that no js_message follows the ack of js_stop.
	mu      sync.Mutex
	stopped bool

	// At most one js_consumer_error (and one ack-failure log) per second.
	errMu         sync.Mutex
	lastErr       time.Time
	suppressed    int64
	lastAckErr    time.Time
	ackSuppressed int64
}

func (d *driver) jsConsume(a args) (fields, error) {
	c, err := d.requireConn()
	if err != nil {
		return nil, err
	}
	name, err := a.requiredString("sub")
	if err != nil {
		return nil, err
	}
	stream, err := a.requiredString("js_stream")
	if err != nil {
		return nil, err
	}
	durable, err := a.requiredString("durable")
	if err != nil {
		return nil, err
	}
	mode, err := a.string("mode", "pull")
	if err != nil {
		return nil, err
	}
	batch, err := a.int("batch", 10)
	if err != nil {
		return nil, err
	}
	fetchTimeoutMs, err := a.int("fetch_timeout_ms", 1000)
	if err != nil {
		return nil, err
	}
	ackOn, err := a.bool("ack", true)
	if err != nil {
		return nil, err
	}
	switch {
	case mode != "pull" && mode != "push":
		return nil, badf("field 'mode' must be \"pull\" or \"push\", got %q", mode)
	case batch < 1:
		return nil, badf("field 'batch' must be >= 1")
	case fetchTimeoutMs <= 0:
		return nil, badf("field 'fetch_timeout_ms' must be > 0")
	}
	if c.consumer(name) != nil {
		return nil, otherError("js_consume: sub '%s' is already consuming; js_stop it first", name)
	}
	js, err := c.jetStream()
	if err != nil {
		return nil, err
	}
	// nats.go refuses to bind with a subject other than the consumer's filter
	// subject (ErrSubjectMismatch), so the driver looks the consumer up first:
	// its ConsumerInfo errors also say what is missing (ErrConsumerNotFound,
	// ErrStreamNotFound, ErrJetStreamNotEnabled).
	info, err := js.ConsumerInfo(stream, durable)
	if err != nil {
		return nil, err
	}
	cons := &jsConsumer{
		c: c, name: name, stream: stream, durable: durable, pull: mode == "pull",
		batch: int(batch), fetchTimeout: time.Duration(fetchTimeoutMs) * time.Millisecond, ack: ackOn,
	}
	subject := info.Config.FilterSubject
	var extra fields
	if cons.pull {
		cons.sub, err = js.PullSubscribe(subject, durable, nats.Bind(stream, durable))
		if err != nil {
			return nil, err
		}
	} else {
		cons.sub, err = js.Subscribe(subject, cons.pushHandler, nats.Bind(stream, durable), nats.ManualAck())
		if err != nil {
			return nil, err
		}
		extra = flushAfterSubscribe(c.nc, "js_consume "+name)
	}
	c.jsSubs.Store(cons.sub, cons)
	if !c.addConsumer(cons) {
		c.jsSubs.Delete(cons.sub)
		_ = cons.sub.Unsubscribe()
		return nil, otherError("js_consume: sub '%s' is already consuming; js_stop it first", name)
	}
	if cons.pull {
		var ctx context.Context
		ctx, cons.cancel = context.WithCancel(context.Background())
		cons.done = make(chan struct{})
		go cons.fetchLoop(ctx)
	}
	return extra, nil
}

func (d *driver) jsStop(a args) error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	name, err := a.requiredString("sub")
	if err != nil {
		return err
	}
	cons := c.removeConsumer(name)
	if cons == nil {
		return otherError("js_stop: no js_consume with sub '%s'", name)
	}
	return cons.stop()
}

// stopConsumers stops every consumer of the connection (before close, drain
// and exit).
func (c *connection) stopConsumers() {
	for _, cons := range c.removeAllConsumers() {
		if err := cons.stop(); err != nil {
			events.log("stopping js_consume " + cons.name + ": " + err.Error())
		}
	}
}

// stopPullConsumers stops the pull consumers only (before drain).
func (c *connection) stopPullConsumers() {
	for _, cons := range c.removeConsumersWhere(func(cons *jsConsumer) bool { return cons.pull }) {
		if err := cons.stop(); err != nil {
			events.log("stopping js_consume " + cons.name + ": " + err.Error())
		}
	}
}

// stop ends consuming and unsubscribes, leaving the durable consumer on the
// server (a bound subscription never deletes it). An unacknowledged message
// is redelivered by the server after its ack wait.
func (cons *jsConsumer) stop() error {
	if cons.pull {
		cons.cancel()
		select {
		case <-cons.done:
		case <-time.After(5 * time.Second):
			events.log("js_stop " + cons.name + ": the fetch loop did not end within 5 s")
		}
	}
	err := cons.sub.Unsubscribe()
	cons.mu.Lock()
	cons.stopped = true
	cons.mu.Unlock()
	cons.c.jsSubs.Delete(cons.sub)
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) {
		// Gone already (the connection closed, or nats.go dropped it).
		return nil
	}
	return err
}

// fetchLoop is a pull consumer: fetch(batch, fetch_timeout) again and again
// until stopped, also while disconnected. A fetch that ends without messages
// is normal; any other failure is a js_consumer_error (at most one a second),
// and the loop goes on unless the connection or subscription is gone.
func (cons *jsConsumer) fetchLoop(ctx context.Context) {
	defer close(cons.done)
	for ctx.Err() == nil {
		started := time.Now()
		fctx, cancel := context.WithTimeout(ctx, cons.fetchTimeout)
		msgs, err := cons.sub.Fetch(cons.batch, nats.Context(fctx))
		cancel()
		for _, m := range msgs {
			cons.process(m)
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			continue // no messages within fetch_timeout
		}
		if cons.c.nc.IsClosed() || !cons.sub.IsValid() {
			cons.reportError(err, true)
			return
		}
		cons.reportError(err, false)
		// A fetch that fails at once (no responders, a full reconnect
		// buffer, ...) is tried again after a pause, not in a busy loop.
		pause := 100 * time.Millisecond
		if cons.fetchTimeout < pause {
			pause = cons.fetchTimeout
		}
		if wait := time.Until(started.Add(pause)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
	}
}

// pushHandler is the push consumer's message handler (nats.go handles the
// heartbeats and flow control messages itself).
func (cons *jsConsumer) pushHandler(m *nats.Msg) {
	cons.mu.Lock()
	defer cons.mu.Unlock()
	if cons.stopped {
		return
	}
	if len(m.Data) == 0 && m.Header.Get("Status") != "" {
		// A status message nats.go passes on to a push handler (not a
		// heartbeat or flow control), e.g. 409 Consumer Deleted.
		cons.reportError(statusError(m), false)
		return
	}
	cons.process(m)
}

// statusError is the error of a status message: nats.ErrConsumerDeleted for
// 409 Consumer Deleted, as nats.go's Fetch says it.
func statusError(m *nats.Msg) error {
	status, descr := m.Header.Get("Status"), m.Header.Get("Description")
	if status == "409" && strings.Contains(strings.ToLower(descr), "consumer deleted") {
		return nats.ErrConsumerDeleted
	}
	return fmt.Errorf("nats: %s %s", status, descr)
}

// process reports one message, then acknowledges it (with ack).
func (cons *jsConsumer) process(m *nats.Msg) {
	mono := monoNow()
	meta, err := m.Metadata()
	if err != nil {
		cons.reportError(err, false)
		return
	}
	n := atomic.AddInt64(&cons.received, 1)
	if is("js-ack-before-process") {
		// The mutant acknowledges on receipt, whatever `ack` says, and then
		// loses every 100th message it has acknowledged.
		cons.ackMsg(m)
		if n%100 == 0 {
			return
		}
		cons.report(m, meta, monoNow())
		return
	}
	cons.report(m, meta, mono)
	if cons.ack {
		cons.ackMsg(m)
	}
}

func (cons *jsConsumer) report(m *nats.Msg, meta *nats.MsgMetadata, mono uint64) {
	seq, stream, ok := parsePayload(m.Data)
	f := fields{{"sub", cons.name}}
	if ok {
		f = append(f, field{"stream", stream})
	}
	f = append(f,
		field{"seq", seq}, field{"js_stream", meta.Stream}, field{"js_seq", meta.Sequence.Stream},
		field{"consumer_seq", meta.Sequence.Consumer}, field{"delivered", meta.NumDelivered},
		field{"redelivered", meta.NumDelivered > 1})
	events.emitAt("js_message", f, mono)
}

// ackMsg acknowledges m (a plain publish to its reply subject; nats.go does
// not wait for the server). A failure is a log line, at most one a second.
func (cons *jsConsumer) ackMsg(m *nats.Msg) {
	err := m.Ack()
	if err == nil {
		return
	}
	cons.errMu.Lock()
	now := time.Now()
	if now.Sub(cons.lastAckErr) < time.Second {
		cons.ackSuppressed++
		cons.errMu.Unlock()
		return
	}
	suppressed := cons.ackSuppressed
	cons.lastAckErr, cons.ackSuppressed = now, 0
	cons.errMu.Unlock()
	de := classify(err)
	text := fmt.Sprintf("js_consume %s: acknowledging failed: %s %s %s", cons.name, de.kind, de.native, de.message)
	if suppressed > 0 {
		text += fmt.Sprintf(" (%d more failures not shown)", suppressed)
	}
	events.log(text)
}

// reportError writes a js_consumer_error, at most one a second: the next one
// says how many were left out ("suppressed"). A last error, after which the
// consumer has stopped ("stopped": true), is always written.
func (cons *jsConsumer) reportError(err error, last bool) {
	mono := monoNow()
	cons.errMu.Lock()
	now := time.Now()
	if !last && !cons.lastErr.IsZero() && now.Sub(cons.lastErr) < time.Second {
		cons.suppressed++
		cons.errMu.Unlock()
		return
	}
	suppressed := cons.suppressed
	cons.lastErr, cons.suppressed = now, 0
	cons.errMu.Unlock()
	f := fields{{"sub", cons.name}, {"error", classify(err)}}
	if suppressed > 0 {
		f = append(f, field{"suppressed", suppressed})
	}
	if last {
		f = append(f, field{"stopped", true})
	}
	events.emitAt("js_consumer_error", f, mono)
}

// MARK: the connection's consumers

func (c *connection) consumer(name string) *jsConsumer {
	c.consumersMu.Lock()
	defer c.consumersMu.Unlock()
	return c.consumers[name]
}

func (c *connection) addConsumer(cons *jsConsumer) bool {
	c.consumersMu.Lock()
	defer c.consumersMu.Unlock()
	if c.consumers[cons.name] != nil {
		return false
	}
	c.consumers[cons.name] = cons
	return true
}

func (c *connection) removeConsumer(name string) *jsConsumer {
	c.consumersMu.Lock()
	defer c.consumersMu.Unlock()
	cons := c.consumers[name]
	delete(c.consumers, name)
	return cons
}

func (c *connection) removeAllConsumers() []*jsConsumer {
	return c.removeConsumersWhere(func(*jsConsumer) bool { return true })
}

func (c *connection) removeConsumersWhere(match func(*jsConsumer) bool) []*jsConsumer {
	c.consumersMu.Lock()
	defer c.consumersMu.Unlock()
	var out []*jsConsumer
	for name, cons := range c.consumers {
		if match(cons) {
			out = append(out, cons)
			delete(c.consumers, name)
		}
	}
	return out
}

// jsConsumerOf is the js_consume a subscription belongs to, if any.
func (c *connection) jsConsumerOf(sub *nats.Subscription) *jsConsumer {
	if sub == nil {
		return nil
	}
	if v, ok := c.jsSubs.Load(sub); ok {
		return v.(*jsConsumer)
	}
	return nil
}
