//go:build !tenancy

package events

import (
	"context"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

// Metadata describes a delivered event.
type Metadata struct {
	ID            string      // event id, unique per event
	Type          string      // protobuf full name
	Source        string      // producing service, "/shop/orders"
	Subject       string      // id of the aggregate the event is about
	Time          time.Time   // when it was recorded
	SchemaVersion string      // "v1"
	TraceParent   string      // W3C trace context, or ""
	Saga          outbox.Saga // the choreographed saga the event belongs to; zero for none
	Attempt       int         // 1 on the first delivery
	// Sequence is the event's position in its producer's outbox: of two
	// events about one aggregate, the one recorded later has the greater
	// Sequence. 0 when the producer did not send it.
	Sequence int64
	// AggregateVersion is the version of the aggregate the event brought
	// about (1, 2, 3... without gaps) when the producer is event-sourced,
	// else 0.
	AggregateVersion int64
}

// setScope sets the headers of the scope e belongs to: none in a
// single-tenant system.
func setScope(outbox.Event, func(k, v string)) {}

// readScope reads the headers of the scope the event belongs to.
func (m *Metadata) readScope(func(k string) string) {}

// scope returns the context to handle the event in and the columns, quoted,
// and values its processed_events row is keyed by besides consumer and
// event id: none in a single-tenant system.
func (m Metadata) scope(ctx context.Context, _ database.Dialect) (context.Context, []string, []any, error) {
	return ctx, nil, nil, nil
}
