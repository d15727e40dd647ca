//go:build !tenancy

package events_test

import (
	"context"

	"github.com/microforge/microforge/internal/runtime/platform/outbox"
)

// tenantColumn and tenantKey prefix the columns and keys of the tables:
// nothing in a single-tenant system.
const tenantColumn, tenantKey = "", ""

func scoped(ctx context.Context) context.Context { return ctx }

func scopedEvent(e outbox.Event) outbox.Event { return e }

func tenantOf(context.Context) (string, error) { return "", nil }

// scopeHeaders are the headers of a published event's scope.
func scopeHeaders() map[string]string { return nil }
