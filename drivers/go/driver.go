// The ops of DRIVER-PROTOCOL v1 on top of nats.go.

package main

import (
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

const libraryName = "nats.go"

// capabilities are what this driver (and nats.go 1.22.1) can do. Not
// "ignore_discovered_servers": nats.go has no such option.
var capabilities = []string{
	"publish", "subscribe", "queue_subscribe", "request", "reply", "flush", "drain", "stats",
	"lame_duck", "discovered_servers", "retry_on_failed_connect", "reconnect_jitter",
	"reconnect_buffer", "no_randomize", "service", "credentials", "jetstream",
}

// knownConnectOptions are the connect options this driver understands; any
// other key fails the connect with kind "other".
var knownConnectOptions = map[string]bool{
	"allow_reconnect": true, "max_reconnects": true, "reconnect_wait_ms": true,
	"reconnect_jitter_ms": true, "reconnect_buffer_bytes": true, "ping_interval_ms": true,
	"max_pings_out": true, "connect_timeout_ms": true, "retry_on_failed_connect": true,
	"no_randomize": true, "ignore_discovered_servers": true, "user": true, "password": true,
	"token": true, "drain_timeout_ms": true, "credentials_file": true,
	// Extensions of the nats.c driver.
	"max_pending_msgs": true, "fail_requests_on_disconnect": true, "no_echo": true,
}

// ack writes the ack of command id: ok with extra fields, or ok:false with
// err (a *driverError, *badCommand or library error) and extra fields.
func ack(id int64, err error, extra fields) {
	f := fields{{"id", id}, {"ok", err == nil}}
	if err != nil {
		f = append(f, field{"error", toDriverError(err)})
	}
	events.emit("ack", append(f, extra...))
}

// toDriverError turns any error of an op into the protocol's error object.
func toDriverError(err error) *driverError {
	if bc, ok := err.(*badCommand); ok {
		return otherError("%s", bc.msg)
	}
	return classify(err)
}

// exiting is closed when the driver is about to exit: ops under way stop early.
var exiting = make(chan struct{})

// sleepUntil sleeps until t; false if the driver started exiting meanwhile.
func sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-exiting:
		return false
	}
}

// driver holds the current connection and the long ops under way.
type driver struct {
	mu      sync.Mutex
	conn    *connection
	workers sync.WaitGroup
}

func (d *driver) current() *connection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn
}

// handle runs one command. Long ops (publish, request, drain) run on their
// own goroutine and ack from there; everything else acks before returning.
func (d *driver) handle(cmd *command) {
	defer func() {
		// A bug must cost one command, not the driver (and its connection).
		if r := recover(); r != nil {
			stderrLine(fmt.Sprintf("panic in op %s: %v\n%s", cmd.op, r, debug.Stack()))
			ack(cmd.id, otherError("%s: internal driver error: %v", cmd.op, r), nil)
		}
	}()
	var extra fields
	var err error
	switch cmd.op {
	case "connect":
		extra, err = d.connect(cmd.fields)
	case "subscribe":
		extra, err = d.subscribe(cmd.fields)
	case "reply":
		extra, err = d.reply(cmd.fields)
	case "service":
		extra, err = d.service(cmd.fields)
	case "publish":
		err = d.publish(cmd.id, cmd.fields)
	case "js_publish":
		err = d.jsPublish(cmd.id, cmd.fields)
	case "js_consume":
		extra, err = d.jsConsume(cmd.fields)
	case "js_stop":
		err = d.jsStop(cmd.fields)
	case "request":
		err = d.request(cmd.id, cmd.fields)
	case "drain":
		err = d.drain(cmd.id)
	case "flush":
		err = d.flush(cmd.fields)
	case "close":
		err = d.close()
	case "stats":
		err = d.stats()
	default:
		err = otherError("unknown op '%s'", cmd.op)
	}
	if bc, ok := err.(*badCommand); ok {
		err = otherError("%s: %s", cmd.op, bc.msg)
	}
	if err == nil && isAsync(cmd.op) {
		return // the op's goroutine acks
	}
	ack(cmd.id, err, extra)
}

// isAsync is true for ops that ack from their own goroutine once started.
func isAsync(op string) bool {
	return op == "publish" || op == "js_publish" || op == "request" || op == "drain"
}

// run runs an op's body on its own goroutine, counted until it returns.
func (d *driver) run(body func()) {
	d.workers.Add(1)
	go func() {
		defer d.workers.Done()
		body()
	}()
}

// shutdown, before exiting: closes the connection (if open), waits for its
// closed callback, then gives ops under way a moment to finish and ack.
func (d *driver) shutdown() {
	close(exiting)
	if c := d.current(); c != nil && !c.isClosed() {
		c.stopConsumers()
		c.nc.Close()
		if !c.waitClosed(5 * time.Second) {
			events.log("exit: no closed callback within 5 s")
		}
	}
	idle := make(chan struct{})
	go func() {
		d.workers.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-time.After(3 * time.Second):
		events.log("exit: ops still under way after 3 s; their acks are lost")
	}
}

func (d *driver) requireConn() (*connection, error) {
	c := d.current()
	if c == nil || c.nc == nil {
		return nil, otherError("no connection: send a successful connect first")
	}
	return c, nil
}

// optionReader reads connect options into nats.Options, keeping the first
// error (like bufio.Scanner) so that the mapping reads as a plain list.
type optionReader struct {
	o   args
	err error
}

func (r *optionReader) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *optionReader) bool(key string, dst *bool) {
	if r.o.has(key) {
		v, err := r.o.bool(key, false)
		r.keep(err)
		*dst = v
	}
}

func (r *optionReader) int(key string, dst *int) {
	if r.o.has(key) {
		v, err := r.o.int(key, 0)
		r.keep(err)
		*dst = int(v)
	}
}

func (r *optionReader) ms(key string, dst ...*time.Duration) {
	if r.o.has(key) {
		v, err := r.o.int(key, 0)
		r.keep(err)
		for _, d := range dst {
			*d = time.Duration(v) * time.Millisecond
		}
	}
}

func (r *optionReader) string(key string, dst *string) {
	if r.o.has(key) {
		v, err := r.o.string(key, "")
		r.keep(err)
		*dst = v
	}
}

// unsupportedWhenTrue refuses an option nats.go lacks, unless it asks for
// what nats.go does anyway (false).
func (r *optionReader) unsupportedWhenTrue(key, why string) {
	var v bool
	r.bool(key, &v)
	if v {
		r.keep(otherError("connect option '%s' is not supported by nats.go %s: %s", key, nats.Version, why))
	}
}

// MARK: connect

func (d *driver) connect(a args) (fields, error) {
	if cur := d.current(); cur != nil && !cur.isClosed() {
		return nil, otherError("connect: a connection is already open; close it first")
	}
	servers, err := a.stringList("servers")
	if err != nil {
		return nil, err
	}
	if len(servers) == 0 {
		return nil, badf("missing field 'servers'")
	}
	name, err := a.string("name", "")
	if err != nil {
		return nil, err
	}
	o, err := a.object("options")
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(o.values))
	for k := range o.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !knownConnectOptions[k] {
			return nil, otherError("connect option '%s' is not supported by nats.go %s", k, nats.Version)
		}
	}

	c := newConnection()
	opts := nats.GetDefaultOptions()
	opts.Servers = servers
	opts.Name = name
	r := &optionReader{o: o}
	r.bool("allow_reconnect", &opts.AllowReconnect)
	r.int("max_reconnects", &opts.MaxReconnect) // negative: forever, as in nats.c
	r.ms("reconnect_wait_ms", &opts.ReconnectWait)
	r.ms("reconnect_jitter_ms", &opts.ReconnectJitter, &opts.ReconnectJitterTLS)
	r.int("reconnect_buffer_bytes", &opts.ReconnectBufSize)
	r.ms("ping_interval_ms", &opts.PingInterval)
	r.int("max_pings_out", &opts.MaxPingsOut)
	r.ms("connect_timeout_ms", &opts.Timeout)
	r.bool("retry_on_failed_connect", &opts.RetryOnFailedConnect)
	r.bool("no_randomize", &opts.NoRandomize)
	r.string("user", &opts.User)
	r.string("password", &opts.Password)
	r.string("token", &opts.Token)
	var credentials string
	r.string("credentials_file", &credentials)
	r.ms("drain_timeout_ms", &opts.DrainTimeout, &c.drainTimeout)
	r.bool("no_echo", &opts.NoEcho)
	r.int("max_pending_msgs", &c.maxPendingMsgs)
	r.unsupportedWhenTrue("ignore_discovered_servers", "it always adds the servers a cluster announces to its pool")
	r.unsupportedWhenTrue("fail_requests_on_disconnect", "its requests wait for their timeout across a disconnection")
	if r.err != nil {
		return nil, r.err
	}
	if credentials != "" {
		// nats.go reads the file again at every connect and reconnect (its
		// UserJWT and SignatureCB handlers open it each time).
		if err := nats.UserCredentials(credentials)(&opts); err != nil {
			return nil, err
		}
	}
	if o.has("reconnect_buffer_bytes") && opts.ReconnectBufSize == 0 {
		// 0 means "default (8MB)" to nats.go; a negative size is its "no
		// buffer": every publish while disconnected fails.
		opts.ReconnectBufSize = -1
		events.log("reconnect_buffer_bytes 0 is nats.go's default (8MB): using -1 (no buffering) instead")
	}
	if o.has("max_pending_msgs") && c.maxPendingMsgs == 0 {
		return nil, otherError("connect option 'max_pending_msgs' must not be 0 (nats.go: negative means unlimited)")
	}
	if o.has("max_pings_out") && opts.MaxPingsOut == 0 {
		events.log("max_pings_out 0 is nats.go's default (2)")
	}
	c.install(&opts)
	if opts.RetryOnFailedConnect {
		opts.ConnectedCB = c.onConnected
	}
	mutateOptions(&opts)

	nc, err := opts.Connect()
	mono := monoNow()
	if err != nil {
		return nil, err
	}
	c.nc = nc
	d.mu.Lock()
	d.conn = c
	d.mu.Unlock()

	if !opts.RetryOnFailedConnect {
		if c.markConnected() {
			emitConnected("connected", nc, mono)
		}
		return nil, nil
	}
	if nc.IsConnected() {
		// Connected already: the callback that says so (ConnectedCB, or
		// ReconnectedCB if the background retry won a race with this
		// check) is on its way; ack after its `connected`.
		select {
		case <-c.connected:
		case <-time.After(2 * time.Second):
			events.log("connect: connected, but no connected callback within 2 s")
		}
		return nil, nil
	}
	// Not yet: nats.go keeps trying in the background; `connected` comes later.
	return fields{{"pending", true}}, nil
}

// MARK: subscribe / reply

func (d *driver) subscribe(a args) (fields, error) {
	subject, err := a.requiredString("subject")
	if err != nil {
		return nil, err
	}
	queue, err := a.string("queue", "")
	if err != nil {
		return nil, err
	}
	name, err := a.string("sub", subject)
	if err != nil {
		return nil, err
	}
	return d.makeSub(subject, queue, name, messageHandler(name))
}

func (d *driver) reply(a args) (fields, error) {
	c, err := d.requireConn()
	if err != nil {
		return nil, err
	}
	subject, err := a.requiredString("subject")
	if err != nil {
		return nil, err
	}
	queue, err := a.string("queue", "")
	if err != nil {
		return nil, err
	}
	name := "reply:" + subject
	return d.makeSub(subject, queue, name, replyHandler(name, c.nc))
}

func (d *driver) makeSub(subject, queue, name string, handler nats.MsgHandler) (fields, error) {
	c, err := d.requireConn()
	if err != nil {
		return nil, err
	}
	var sub *nats.Subscription
	if queue != "" {
		sub, err = c.nc.QueueSubscribe(subject, queue, handler)
	} else {
		sub, err = c.nc.Subscribe(subject, handler)
	}
	if err != nil {
		return nil, err
	}
	c.subNames.Store(sub, name)
	rememberSub(madeSub{sub: sub, subject: subject, queue: queue, name: name, handler: handler})
	if c.maxPendingMsgs != 0 {
		// nats.c's max pending messages is a per-subscription limit; the
		// byte limit stays nats.go's default (64MB).
		if err := sub.SetPendingLimits(c.maxPendingMsgs, nats.DefaultSubPendingBytesLimit); err != nil {
			return nil, err
		}
	}
	return flushAfterSubscribe(c.nc, "subscribe "+name), nil
}

// flushAfterSubscribe makes sure the server has the interest before the ack,
// when connected: ack field "flushed" says whether it has.
func flushAfterSubscribe(nc *nats.Conn, what string) fields {
	if !nc.IsConnected() {
		return fields{{"flushed", false}}
	}
	if err := nc.FlushTimeout(2 * time.Second); err != nil {
		events.log(what + ": flush after SUB failed: " + err.Error())
		return fields{{"flushed", false}}
	}
	return fields{{"flushed", true}}
}

// MARK: publish

// streamArgs reads what publish and request share: the subject, the stream name (default: the
// subject) and the message count (default 1).
func streamArgs(a args) (subject, stream string, count int64, err error) {
	if subject, err = a.requiredString("subject"); err != nil {
		return
	}
	if stream, err = a.string("stream", subject); err != nil {
		return
	}
	count, err = a.int("count", 1)
	return
}

// publishArgs are what publish and js_publish share.
type publishArgs struct {
	subject, stream string
	count           int64
	hasRate         bool
	rate            float64
	size            int
}

func readPublishArgs(a args) (p publishArgs, err error) {
	if p.subject, p.stream, p.count, err = streamArgs(a); err != nil {
		return
	}
	if p.rate, err = a.float("rate_per_s", 0); err != nil {
		return
	}
	var size int64
	if size, err = a.int("payload_bytes", 0); err != nil {
		return
	}
	p.size = int(size)
	p.hasRate = a.has("rate_per_s")
	switch {
	case p.count < 0:
		err = badf("field 'count' must be >= 0")
	case p.hasRate && !(p.rate > 0):
		err = badf("field 'rate_per_s' must be > 0")
	case size < 0:
		err = badf("field 'payload_bytes' must be >= 0")
	}
	return
}

// paced calls send(seq) for seq 1…count, the k-th call no earlier than
// (k-1)/rate after the first when the command has a rate (a call that took
// long is caught up on, as a fixed schedule). It returns the first seq not
// sent: count+1 unless the driver started exiting.
func (p publishArgs) paced(send func(seq int64)) int64 {
	start := time.Now()
	interval := time.Duration(0)
	if p.hasRate {
		interval = time.Duration(float64(time.Second) / p.rate)
	}
	seq := int64(1)
	for ; seq <= p.count; seq++ {
		if p.hasRate && !sleepUntil(start.Add(time.Duration(seq-1)*interval)) {
			break
		}
		if isClosedChan(exiting) {
			break
		}
		send(seq)
	}
	return seq
}

// ackLongOp acks publish, js_publish and request with their succeeded and
// failed counts, once `next` (the first seq not attempted) says they are done.
func ackLongOp(id, next, count, okCount, failed int64, firstErr *driverError) {
	extra := fields{{"succeeded", okCount}, {"failed", failed}}
	switch {
	case next <= count:
		ack(id, otherError("cancelled: driver exiting after %d of %d", next-1, count), extra)
	case firstErr != nil:
		ack(id, firstErr, extra)
	default:
		ack(id, nil, extra)
	}
}

func (d *driver) publish(id int64, a args) error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	p, err := readPublishArgs(a)
	if err != nil {
		return err
	}

	d.run(func() {
		var okCount, failed int64
		var firstErr *driverError
		// Unpaced floods are batched into ranges; paced publishes get one
		// event per message.
		var batcher *rangeBatcher[*driverError]
		if !p.hasRate {
			batcher = newPublishedBatcher(p.stream)
		}
		next := p.paced(func(seq int64) {
			payload := makePayload(seq, p.stream, p.size)
			sent := monoNow()
			perr := c.nc.Publish(p.subject, payload)
			mono := monoNow()
			var de *driverError
			if perr == nil {
				okCount++
			} else {
				failed++
				de = classify(perr)
				if firstErr == nil {
					firstErr = de
				}
			}
			if batcher != nil {
				batcher.add(seq, de, mono, mono-sent)
			} else {
				f := fields{{"stream", p.stream}, {"seq", seq}, {"ok", de == nil}, {"call_ns", mono - sent}}
				if de != nil {
					f = append(f, field{"error", de})
				}
				events.emitAt("published", f, mono)
			}
		})
		if batcher != nil {
			batcher.stop()
		}
		ackLongOp(id, next, p.count, okCount, failed, firstErr)
	})
	return nil
}

func isClosedChan(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// rangeBatcher batches the events of a run of consecutive publish seqs into
// ranges, written at least every 50 ms (by a ticker) and at stop. A run holds
// its first entry; extends says whether the entry of the next seq joins it,
// write writes it. A run keeps its longest call and first/last mono times.
type rangeBatcher[E any] struct {
	mu         sync.Mutex
	have       bool
	run        batchRun[E]
	extends    func(r *batchRun[E], seq int64, e E) bool
	write      func(r *batchRun[E])
	done       chan struct{}
	tickerDone chan struct{}
}

// batchRun is a run of consecutive seqs from..to whose first entry is first.
type batchRun[E any] struct {
	from, to  int64
	first     E
	firstMono uint64
	lastMono  uint64
	// longestCall is the longest publish call in the run.
	longestCall uint64
}

func newRangeBatcher[E any](extends func(r *batchRun[E], seq int64, e E) bool, write func(r *batchRun[E])) *rangeBatcher[E] {
	b := &rangeBatcher[E]{extends: extends, write: write, done: make(chan struct{}), tickerDone: make(chan struct{})}
	go func() {
		defer close(b.tickerDone)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.flush()
			case <-b.done:
				return
			}
		}
	}()
	return b
}

func (b *rangeBatcher[E]) add(seq int64, e E, mono, call uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.have && seq == b.run.to+1 && b.extends(&b.run, seq, e) {
		b.run.to = seq
		b.run.lastMono = mono
		if call > b.run.longestCall {
			b.run.longestCall = call
		}
		return
	}
	b.flushLocked()
	b.have = true
	b.run = batchRun[E]{from: seq, to: seq, first: e, firstMono: mono, lastMono: mono, longestCall: call}
}

func (b *rangeBatcher[E]) flush() {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Unlock()
}

// stop ends the ticker and writes what is left.
func (b *rangeBatcher[E]) stop() {
	close(b.done)
	<-b.tickerDone
	b.flush()
}

func (b *rangeBatcher[E]) flushLocked() {
	if !b.have {
		return
	}
	b.have = false
	b.write(&b.run)
}

// newPublishedBatcher batches consecutive same-outcome `published` events
// into ranges.
func newPublishedBatcher(stream string) *rangeBatcher[*driverError] {
	return newRangeBatcher(func(r *batchRun[*driverError], _ int64, err *driverError) bool {
		return err.key() == r.first.key()
	}, func(r *batchRun[*driverError]) {
		f := fields{{"stream", stream}}
		if r.from == r.to {
			f = append(f, field{"seq", r.from})
		} else {
			f = append(f, field{"from", r.from}, field{"to", r.to})
		}
		f = append(f, field{"ok", r.first == nil})
		if r.first != nil {
			f = append(f, field{"error", r.first})
		}
		if r.from != r.to {
			f = append(f, field{"first_mono_ns", r.firstMono})
		}
		f = append(f, field{"call_ns", r.longestCall})
		events.emitAt("published", f, r.lastMono)
	})
}

// MARK: request

func (d *driver) request(id int64, a args) error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	subject, stream, count, err := streamArgs(a)
	if err != nil {
		return err
	}
	timeoutMs, err := a.int("timeout_ms", 2000)
	if err != nil {
		return err
	}
	intervalMs, err := a.int("interval_ms", 0)
	if err != nil {
		return err
	}
	size, err := a.int("payload_bytes", 0)
	if err != nil {
		return err
	}
	if count < 0 {
		return badf("field 'count' must be >= 0")
	}
	if timeoutMs <= 0 {
		return badf("field 'timeout_ms' must be > 0")
	}
	if intervalMs < 0 {
		return badf("field 'interval_ms' must be >= 0")
	}
	if size < 0 {
		return badf("field 'payload_bytes' must be >= 0")
	}
	timeout := time.Duration(timeoutMs) * time.Millisecond
	interval := time.Duration(intervalMs) * time.Millisecond

	d.run(func() {
		var okCount, failed int64
		var firstErr *driverError
		var nextStart time.Time
		seq := int64(1)
		for ; seq <= count; seq++ {
			if seq > 1 && interval > 0 && !sleepUntil(nextStart) {
				break
			}
			if isClosedChan(exiting) {
				break
			}
			payload := makePayload(seq, stream, int(size))
			nextStart = time.Now().Add(interval)
			t0 := monoNow()
			msg, rerr := c.nc.Request(subject, payload, timeout)
			t1 := monoNow()
			f := fields{{"stream", stream}, {"seq", seq}, {"ok", rerr == nil}}
			if rerr == nil {
				okCount++
				rseq, _, _ := parsePayload(msg.Data)
				f = append(f, field{"reply_seq", rseq})
			} else {
				failed++
				de := classify(rerr)
				if firstErr == nil {
					firstErr = de
				}
				f = append(f, field{"error", de})
			}
			f = append(f, field{"latency_ns", t1 - t0})
			events.emitAt("request_result", f, t1)
		}
		ackLongOp(id, seq, count, okCount, failed, firstErr)
	})
	return nil
}

// MARK: flush / drain / close / stats

func (d *driver) flush(a args) error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	timeoutMs, err := a.int("timeout_ms", 10_000)
	if err != nil {
		return err
	}
	if timeoutMs <= 0 {
		return badf("field 'timeout_ms' must be > 0")
	}
	return c.nc.FlushTimeout(time.Duration(timeoutMs) * time.Millisecond)
}

// drain acks once the connection has drained and closed: ok:false with
// nats.ErrDrainTimeout (kind timeout) if nats.go gave up draining.
func (d *driver) drain(id int64) error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	if is("drain-closes-at-once") {
		c.nc.Close()
		d.run(func() {
			c.waitClosed(5 * time.Second)
			ack(id, nil, nil)
		})
		return nil
	}
	started := monoNow()
	// Pull consumers stop fetching first (push subscriptions drain with the
	// connection, their handlers finishing what was delivered).
	c.stopPullConsumers()
	// nats.go 1.22.1 closes the connection and returns
	// ErrConnectionReconnecting when asked to drain while reconnecting.
	if err := c.nc.Drain(); err != nil {
		return err
	}
	wait := nats.DefaultDrainTimeout
	if c.drainTimeout > 0 {
		wait = c.drainTimeout
	}
	wait += 5 * time.Second
	d.run(func() {
		if !c.waitClosed(wait) {
			ack(id, &driverError{kind: "timeout",
				message: fmt.Sprintf("connection not closed %d ms after drain started", wait.Milliseconds())}, nil)
			return
		}
		if err := c.asyncErrorAfter(nats.ErrDrainTimeout, started); err != nil {
			ack(id, err, nil)
			return
		}
		ack(id, nil, nil)
	})
	return nil
}

func (d *driver) close() error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	c.stopConsumers()
	c.nc.Close()
	if !c.waitClosed(5 * time.Second) {
		events.log("close: no closed callback within 5 s")
	}
	return nil
}

func (d *driver) stats() error {
	c, err := d.requireConn()
	if err != nil {
		return err
	}
	st := c.nc.Stats()
	events.emit("stats", fields{
		{"in_msgs", st.InMsgs}, {"out_msgs", st.OutMsgs},
		{"in_bytes", st.InBytes}, {"out_bytes", st.OutBytes},
		{"reconnects", st.Reconnects},
	})
	return nil
}
