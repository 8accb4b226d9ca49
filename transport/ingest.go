package transport

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// maxIngestEvents is Metronome's limit on one ingest request.
const maxIngestEvents = 100

// maxEventProperties bounds the properties of one event.
const maxEventProperties = 256

// ingest serves POST /v1/ingest: a bare array of 1..100 usage events. The
// answer (200, empty body, as Metronome) comes once the events are committed
// and applied, so an acknowledged event is never lost. Events for unknown
// customers are accepted and kept as counted rejects, as Metronome does.
func (s *Server) ingest(ctx *fasthttp.RequestCtx, _ string) error {
	body, err := readBody(ctx, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	events, err := s.decodeEvents(body)
	if err != nil {
		return err
	}
	if _, err := s.propose(&engine.Ingest{Events: events}); err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	return nil
}

// decodeEvents validates an ingest body into engine events.
func (s *Server) decodeEvents(body []byte) ([]engine.Event, error) {
	limit := s.node.Now().Add(engine.MaxFutureSkew).UnixNano()
	if events, ok := decodeEventsFast(body); ok {
		for i := range events {
			if events[i].Timestamp > limit {
				return nil, futureEvent(i, events[i].Timestamp)
			}
		}
		return events, nil
	}
	events, err := s.decodeEventsGenericOnly(body)
	if err != nil {
		return nil, err
	}
	for i := range events {
		if events[i].Timestamp > limit {
			return nil, futureEvent(i, events[i].Timestamp)
		}
	}
	return events, nil
}

// decodeEventsGenericOnly is the strict decoder: any JSON, precise errors.
func (s *Server) decodeEventsGenericOnly(body []byte) ([]engine.Event, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, badRequest("body: expected a JSON array of 1 to %d events, got %s", maxIngestEvents, jsonType(v))
	}
	if len(arr) == 0 || len(arr) > maxIngestEvents {
		return nil, badRequest("body: must hold 1 to %d events, got %d", maxIngestEvents, len(arr))
	}
	r := &reader{}
	events := make([]engine.Event, len(arr))
	for i, item := range arr {
		o := r.asObject(item, fmt.Sprintf("body[%d]", i))
		ev := &events[i]
		ev.TransactionID = o.str("transaction_id", true)
		ev.CustomerID = o.str("customer_id", true)
		ev.EventType = o.str("event_type", true)
		ev.Timestamp = o.time("timestamp", true)
		ev.Properties = properties(o)
		if r.err != nil {
			return nil, r.err
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return events, nil
}

// properties flattens an event's properties to strings: numbers keep their
// exact literal (never float64), booleans become "true"/"false", nested
// values their compact JSON; nulls are dropped.
func properties(o obj) map[string]string {
	p, ok := o.object("properties", false)
	if !ok {
		return nil
	}
	if len(p.m) > maxEventProperties {
		o.r.fail(p.path, "at most %d properties are allowed", maxEventProperties)
		return nil
	}
	p.readAll()
	out := make(map[string]string, len(p.m))
	for k, v := range p.m {
		switch x := v.(type) {
		case nil:
		case string:
			out[k] = o.r.str(x, p.sub(k), false)
		case json.Number:
			out[k] = string(x)
		case bool:
			if x {
				out[k] = "true"
			} else {
				out[k] = "false"
			}
		default:
			b, err := json.Marshal(x)
			if err != nil {
				o.r.fail(p.sub(k), "cannot be encoded: %v", err)
				continue
			}
			if len(b) > maxStringLen {
				o.r.fail(p.sub(k), "longer than %d bytes", maxStringLen)
				continue
			}
			out[k] = string(b)
		}
	}
	return out
}

func futureEvent(i int, ts engine.Nanos) error {
	return badRequest("body[%d].timestamp: %s is more than %s in the future", i, time.Unix(0, ts).UTC().Format(time.RFC3339), engine.MaxFutureSkew)
}
