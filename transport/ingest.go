package transport

import (
	"encoding/json"
	"fmt"
	"slices"
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
	if _, err := s.propose(ctx, &engine.Ingest{Events: events}); err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	return nil
}

// decodeEvents validates an ingest body into engine events. Both decoders'
// events then go through the same checks: summed properties and timestamps.
func (s *Server) decodeEvents(body []byte) ([]engine.Event, error) {
	events, ok := decodeEventsFast(body)
	if !ok {
		var err error
		if events, err = s.decodeEventsGenericOnly(body); err != nil {
			return nil, err
		}
	}
	if err := s.checkSummedProperties(events); err != nil {
		return nil, err
	}
	limit := s.node.Now().Add(engine.MaxFutureSkew).UnixNano()
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
		o.r.fail(p.path(), "at most %d properties are allowed", maxEventProperties)
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

// summedKeys indexes, for one catalog, the aggregation keys of the metrics
// that add a property's value (SUM; MAX reads it the same way once it is
// rated) by the event types they match.
type summedKeys struct {
	cat    *engine.Catalog
	byType map[string][]string
	// anyType holds metrics without in_values: they match every event type
	// but their not_in_values.
	anyType []summedKey
}

type summedKey struct {
	key   string
	notIn []string
}

// summedKeysFor returns the index of the node's current catalog, rebuilt
// only when the catalog changed (it is copy-on-write, so a pointer compares).
func (s *Server) summedKeysFor() *summedKeys {
	cat := s.node.Engine().Catalog()
	if idx := s.summed.Load(); idx != nil && idx.cat == cat {
		return idx
	}
	idx := &summedKeys{cat: cat, byType: map[string][]string{}}
	for _, id := range cat.MetricOrder {
		m := cat.Metrics[id]
		if (m.Aggregation != engine.AggSum && m.Aggregation != engine.AggMax && m.Aggregation != engine.AggLatest) || m.AggregationKey == "" {
			continue
		}
		var notIn []string
		if f := m.EventTypeFilter; f != nil {
			notIn = f.NotInValues
			if len(f.InValues) > 0 {
				for _, et := range f.InValues {
					if !slices.Contains(notIn, et) && !slices.Contains(idx.byType[et], m.AggregationKey) {
						idx.byType[et] = append(idx.byType[et], m.AggregationKey)
					}
				}
				continue
			}
		}
		idx.anyType = append(idx.anyType, summedKey{key: m.AggregationKey, notIn: notIn})
	}
	s.summed.Store(idx)
	return idx
}

// checkSummedProperties refuses an event whose property is the aggregation
// key of a SUM metric matching its event type and is not a decimal within
// the amount bounds (money.Parse, the parser the engine rates it with): the engine would otherwise skip
// the event's usage silently, or be handed a number too large to rate. A
// property filter of the metric is not consulted: the value must be a number
// wherever a metric of that event type sums it.
func (s *Server) checkSummedProperties(events []engine.Event) error {
	idx := s.summedKeysFor()
	if len(idx.byType) == 0 && len(idx.anyType) == 0 {
		return nil
	}
	check := func(i int, ev *engine.Event, key string) error {
		v, ok := ev.Properties[key]
		if !ok {
			return nil
		}
		if _, msg := parseAmount(json.Number(v)); msg != "" {
			return badRequest("body[%d].properties.%s: %s (it is summed by a billable metric)", i, key, msg)
		}
		return nil
	}
	for i := range events {
		ev := &events[i]
		if len(ev.Properties) == 0 {
			continue
		}
		for _, key := range idx.byType[ev.EventType] {
			if err := check(i, ev, key); err != nil {
				return err
			}
		}
		for _, m := range idx.anyType {
			if !slices.Contains(m.notIn, ev.EventType) {
				if err := check(i, ev, m.key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func futureEvent(i int, ts engine.Nanos) error {
	return badRequest("body[%d].timestamp: %s is more than %s in the future", i, time.Unix(0, ts).UTC().Format(time.RFC3339), engine.MaxFutureSkew)
}
