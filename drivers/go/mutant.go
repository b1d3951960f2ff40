// Mutants: deliberately broken variants of this driver, for scripts/mutants.
// Each forces one defect a real client or its configuration can have, through
// nats.go's own options and callbacks where it has them. A mutant is enabled
// only by the command-line flag `--mutant NAME`, which natsfault never passes
// to a shipped driver: a normal run is never a mutant (docs/mutants.md).

package main

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// goMutants are the defects this driver can be asked to have, by name.
var goMutants = map[string]string{
	"never-reconnect":            "reconnection turned off (allow_reconnect false)",
	"zero-reconnects":            "gives up after 0 reconnect attempts (max_reconnects 0)",
	"ignore-pings":               "never finds a connection stale (max_pings_out 1<<30)",
	"no-reconnect-buffer":        "no reconnect buffer: publishes while disconnected fail",
	"errors-as-other":            "every error reported with the kind other",
	"no-async-errors":            "no asynchronous error handler: no error events",
	"subs-not-restored":          "subscriptions not restored after a reconnect",
	"subs-restored-twice":        "subscriptions restored twice after a reconnect",
	"no-disconnected-event":      "no disconnected handler: no disconnected events",
	"no-lame-duck-event":         "no lame-duck handler: no lame_duck events",
	"discovered-servers-ignored": "connects only to the servers it was given, never to discovered ones",
	"reconnect-wait-default":     "reconnect_wait ignored: nats.go's default (2 s) instead",
	"reconnect-wait-zero":        "reconnect_wait forced to 0, no jitter: hammers the server",
	"drain-closes-at-once":       "drain closes the connection at once, dropping what is in flight",
	"closed-early":               "reports closed as soon as the connection is lost, while still reconnecting",
	"js-ack-before-process":      "js_consume acknowledges each message before reporting it, and loses every 100th (acked, never reported)",
}

// mutant is the defect this process has; "" for the real driver.
var mutant string

// is reports whether this process is the mutant `name`.
func is(name string) bool { return mutant != "" && mutant == name }

// mutantNames are the names of goMutants, sorted.
func mutantNames() []string {
	names := make([]string, 0, len(goMutants))
	for n := range goMutants {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// parseMutantFlag reads `--mutant NAME` from the arguments; an unknown name or
// any other argument is an error naming what is allowed.
func parseMutantFlag(args []string) (string, error) {
	switch {
	case len(args) == 0:
		return "", nil
	case len(args) == 2 && args[0] == "--mutant":
		if _, ok := goMutants[args[1]]; ok {
			return args[1], nil
		}
	}
	return "", fmt.Errorf("arguments %q: expected none, --list-mutants, or --mutant NAME with NAME one of %v", args, mutantNames())
}

// listMutants writes "NAME<TAB>DEFECT" for each mutant (`--list-mutants`, read by scripts/mutants).
func listMutants() {
	for _, n := range mutantNames() {
		fmt.Printf("%s\t%s\n", n, goMutants[n])
	}
}

// mutateOptions applies the connect-option mutants, after the scenario's options were read.
func mutateOptions(opts *nats.Options) {
	switch mutant {
	case "never-reconnect":
		opts.AllowReconnect = false
	case "zero-reconnects":
		opts.MaxReconnect = 0
	case "ignore-pings":
		opts.MaxPingsOut = 1 << 30
	case "no-reconnect-buffer":
		opts.ReconnectBufSize = -1
	case "no-async-errors":
		opts.AsyncErrorCB = nil
	case "no-disconnected-event":
		opts.DisconnectedErrCB = nil
	case "no-lame-duck-event":
		opts.LameDuckModeHandler = nil
	case "discovered-servers-ignored":
		opts.CustomDialer = givenServersDialer(opts.Servers, opts.Timeout)
	case "reconnect-wait-default":
		opts.ReconnectWait = nats.DefaultReconnectWait
	case "reconnect-wait-zero":
		opts.ReconnectWait = 0
		opts.ReconnectJitter = 0
	}
}

// givenServersDialer dials only the addresses of `servers`: a discovered
// server's attempt fails as if it were unreachable.
func givenServersDialer(servers []string, timeout time.Duration) nats.CustomDialer {
	given := map[string]bool{}
	for _, s := range servers {
		if u, err := url.Parse(s); err == nil {
			given[u.Host] = true
		}
	}
	return refusingDialer{given: given, dialer: &net.Dialer{Timeout: timeout}}
}

type refusingDialer struct {
	given  map[string]bool
	dialer *net.Dialer
}

func (d refusingDialer) Dial(network, address string) (net.Conn, error) {
	if !d.given[address] {
		return nil, fmt.Errorf("mutant discovered-servers-ignored: %s was discovered, not given", address)
	}
	return d.dialer.Dial(network, address)
}

// madeSub is a subscription the driver made, as the subscription mutants need it again.
type madeSub struct {
	sub                  *nats.Subscription
	subject, queue, name string
	handler              nats.MsgHandler
}

// mutantSubs are the driver's subscriptions, remembered only in a subscription mutant.
var (
	mutantSubsMu sync.Mutex
	mutantSubs   []madeSub
)

// rememberSub keeps a subscription for the subscription mutants.
func rememberSub(s madeSub) {
	if !is("subs-not-restored") && !is("subs-restored-twice") {
		return
	}
	mutantSubsMu.Lock()
	mutantSubs = append(mutantSubs, s)
	mutantSubsMu.Unlock()
}

// mutateReconnected runs after nats.go restored the subscriptions on a
// reconnect: it takes them away again, or adds a second of each.
func mutateReconnected(c *connection) {
	mutantSubsMu.Lock()
	subs := append([]madeSub(nil), mutantSubs...)
	mutantSubsMu.Unlock()
	for _, s := range subs {
		switch {
		case is("subs-not-restored"):
			if err := s.sub.Unsubscribe(); err != nil {
				events.log("mutant subs-not-restored: unsubscribe " + s.name + ": " + err.Error())
			}
		case is("subs-restored-twice"):
			var again *nats.Subscription
			var err error
			if s.queue != "" {
				again, err = c.nc.QueueSubscribe(s.subject, s.queue, s.handler)
			} else {
				again, err = c.nc.Subscribe(s.subject, s.handler)
			}
			if err != nil {
				events.log("mutant subs-restored-twice: subscribe " + s.name + ": " + err.Error())
				continue
			}
			c.subNames.Store(again, s.name)
		}
	}
}
