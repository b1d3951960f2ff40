// The `service` op on nats.go 1.22.1's micro package, an early pre-v1
// version of ADR-32 ("Experimental Preview"): one endpoint per service,
// PING/STATS/INFO/SCHEMA monitoring subjects under $SRV, queue group "q".

package main

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// service starts one micro service instance per endpoint, all with the
// same name and version, each answering with the request's own payload.
// The ack carries the instance ids ("ids").
//
// micro.AddService wraps the connection's closed and async-error handlers
// with its own, and 1.22.1's wrappers are unsafe for a fault harness: the
// error wrapper dereferences the subscription, which is nil for
// connection-level errors such as a permissions violation (the driver
// would panic); it stops the service and reports twice on an error of any
// unrelated subscription; and Service.Stop leaves its mutex locked when
// called a second time. So after each AddService the driver puts its own
// handlers back: the service keeps answering (also after reconnects) and
// its async errors are reported as `error` events with their subject.
func (d *driver) service(a args) (fields, error) {
	c, err := d.requireConn()
	if err != nil {
		return nil, err
	}
	name, err := a.requiredString("name")
	if err != nil {
		return nil, err
	}
	version, err := a.requiredString("version")
	if err != nil {
		return nil, err
	}
	endpoints, err := a.objectList("endpoints")
	if err != nil {
		return nil, err
	}
	if len(endpoints) == 0 {
		return nil, badf("field 'endpoints' must list at least one endpoint")
	}
	type endpoint struct{ name, subject string }
	eps := make([]endpoint, 0, len(endpoints))
	for _, ep := range endpoints {
		subject, err := ep.requiredString("subject")
		if err != nil {
			return nil, err
		}
		epName, err := ep.string("name", subject)
		if err != nil {
			return nil, err
		}
		eps = append(eps, endpoint{epName, subject})
	}

	ids := make([]string, 0, len(eps))
	for _, ep := range eps {
		svc, err := micro.AddService(c.nc, micro.Config{
			Name:        name,
			Version:     version,
			Description: "natsfault endpoint " + ep.name,
			Endpoint:    micro.Endpoint{Subject: ep.subject, Handler: echoHandler(name + "/" + ep.name)},
		})
		c.nc.SetClosedHandler(c.onClosed)
		if !is("no-async-errors") {
			c.nc.SetErrorHandler(c.onAsyncError)
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, svc.Info().ID)
	}
	if len(eps) > 1 {
		events.log(fmt.Sprintf("service %s: nats.go %s micro has one endpoint per service: "+
			"started %d instances (%s)", name, nats.Version, len(eps), strings.Join(ids, ", ")))
	}
	return append(fields{{"ids", ids}}, flushAfterSubscribe(c.nc, "service "+name)...), nil
}

// echoHandler answers each request with its own payload.
func echoHandler(what string) micro.RequestHandler {
	return func(req *micro.Request) {
		if err := req.Respond(req.Data()); err != nil {
			e := classify(err)
			events.log("service " + what + ": answering a request failed: " + e.native + " " + e.message)
		}
	}
}
