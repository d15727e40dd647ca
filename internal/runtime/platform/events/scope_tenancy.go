//go:build tenancy

package events

import (
	"context"
	"fmt"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/outbox"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// HeaderTenant is the header holding the tenant an event belongs to.
const HeaderTenant = tenant.EventHeader

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
	Tenant           string // the tenant it belongs to
}

// setScope sets the headers of the scope e belongs to: its tenant.
func setScope(e outbox.Event, set func(k, v string)) { set(HeaderTenant, e.Tenant) }

// readScope reads the headers of the scope the event belongs to.
func (m *Metadata) readScope(get func(k string) string) { m.Tenant = get(HeaderTenant) }

// scope returns the context to handle the event in, its tenant's, and the
// columns, quoted, and values its processed_events row is keyed by besides
// consumer and event id: the tenant, so the same event id in two tenants
// is two events. An event without a valid tenant is an error.
func (m Metadata) scope(ctx context.Context, d database.Dialect) (context.Context, []string, []any, error) {
	if err := tenant.Check(m.Tenant); err != nil {
		return ctx, nil, nil, fmt.Errorf("event %s without a valid %s header: %w", m.ID, HeaderTenant, err)
	}
	return tenant.With(ctx, m.Tenant), []string{d.Quote(tenant.Column)}, []any{m.Tenant}, nil
}
