//go:build !tenancy

package outbox

import (
	"context"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/database"
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
}

// scope returns the columns, quoted, and values that the rows of an
// aggregate are scoped by besides its id: none in a single-tenant system.
func scope(context.Context, database.Dialect) ([]string, []any, error) {
	return nil, nil, nil
}

// setScope sets what scopes e from the values scope returned: nothing in a
// single-tenant system.
func (e *Event) setScope([]any) {}

// readColumns are the columns a read scans into an Event, in Event order.
func readColumns(database.Dialect) string { return columns }

// scopeFields are the fields of e the scope columns scan into.
func (e *Event) scopeFields() []any { return nil }

// context returns the context to handle e in.
func (e Event) context(ctx context.Context) context.Context { return ctx }
