package saga

import (
	"context"
	"time"
)

// Internals the tests of package saga_test reach: one runner's view of a
// saga, taken, advanced and saved step by step.

// ErrStale is errStale.
var ErrStale = errStale

// Load is load, after applying the defaults.
func (r *Runner) Load(ctx context.Context, id string) (*State, error) {
	r.setup()
	return r.load(ctx, id)
}

// Hold is hold.
func (r *Runner) Hold(ctx context.Context, st *State) error { return r.hold(ctx, st) }

// Save is save.
func (r *Runner) Save(ctx context.Context, st *State, e *Entry) error { return r.save(ctx, st, e) }

// Version is the version st was read at or last saved as.
func (st *State) Version() int64 { return st.version }

// LeaseUntil is when the lease st was read with expires.
func (st *State) LeaseUntil() time.Time { return st.leaseUntil }

// Loads counts the sagas the runner read to advance them.
func (r *Runner) Loads() int64 { return r.loads.Load() }
