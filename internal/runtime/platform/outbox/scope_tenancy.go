//go:build tenancy

package outbox

import (
	"context"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
	"github.com/microforge/microforge/internal/runtime/platform/tenant"
)

// Event is one recorded event.
type Event struct {
	Seq int64 // position in the outbox, increasing
	// ID is unique, for deduplication by consumers: a UUIDv7, so that the
	// indexes keyed by it (the outbox's, sagas', processed events' and
	// the idempotency keys of saga steps, which start with it) grow at
	// their end rather than at a random page each.
	ID          string
	AggregateID string    // id of the entity the event is about
	Type        string    // protobuf full name, "shop.orders.v1.OrderPlaced"
	Subject     string    // broker subject, "shop.orders.order_placed"
	Payload     []byte    // protobuf binary encoding of the event
	OccurredAt  time.Time // when it was recorded, UTC
	PublishedAt time.Time // zero until the relay published it
	TraceParent string    // W3C trace context of the change that recorded it, or ""
	Saga        Saga      // the choreographed saga it belongs to; zero for none
	Version     int64     // version of the aggregate it brought about (event-sourced services); 0 otherwise
	Tenant      string    // the tenant it belongs to
}

// scope returns the columns, quoted, and values that the rows of an
// aggregate are scoped by besides its id: its tenant, the one of ctx, so
// the same aggregate id in two tenants is two aggregates.
func scope(ctx context.Context, d database.Dialect) ([]string, []any, error) {
	id, err := tenant.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	return []string{d.Quote(tenant.Column)}, []any{id}, nil
}

// setScope sets what scopes e from the values scope returned: its tenant.
func (e *Event) setScope(scope []any) { e.Tenant, _ = scope[0].(string) }

// readColumns are the columns a read scans into an Event, in Event order.
func readColumns(d database.Dialect) string { return columns + ", " + d.Quote(tenant.Column) }

// scopeFields are the fields of e the scope columns scan into.
func (e *Event) scopeFields() []any { return []any{&e.Tenant} }

// context returns the context to handle e in: with its tenant.
func (e Event) context(ctx context.Context) context.Context { return tenant.With(ctx, e.Tenant) }
