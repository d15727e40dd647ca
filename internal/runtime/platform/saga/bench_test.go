package saga_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/logging"
	"github.com/microforge/microforge/internal/runtime/platform/saga"
)

// BenchmarkRunner starts sagas of three steps on SQLite and waits until
// every one completed: sagas/s is the rate from the first start to the
// last completion. The steps either return at once or take a millisecond,
// as a call to another service does.
func BenchmarkRunner(b *testing.B) {
	const sagas = 200
	for _, work := range []time.Duration{0, time.Millisecond} {
		b.Run("step="+work.String(), func(b *testing.B) {
			step := func(name string) saga.Action {
				return saga.Action{Name: name, Do: func(ctx context.Context, _ saga.Run) error {
					if work > 0 {
						time.Sleep(work)
					}
					return nil
				}}
			}
			def := &saga.Definition{Name: "bench", Steps: []saga.Step{
				{Name: "first", Call: step("first")},
				{Name: "second", Call: step("second")},
				{Name: "third", Call: step("third")},
			}}
			runner := &saga.Runner{DB: openDB(b), Logger: logging.Discard(), Sagas: []*saga.Definition{def}}
			defer run(runner)()
			ctx := scoped(context.Background())
			var elapsed time.Duration
			round := 0
			for b.Loop() {
				round++
				began := time.Now()
				for i := range sagas {
					if err := runner.Start(ctx, "bench", fmt.Sprintf("saga-%d-%d", round, i), "subject", nil); err != nil {
						b.Fatal(err)
					}
				}
				for completed(b, runner) < int64(round*sagas) {
					time.Sleep(time.Millisecond)
				}
				elapsed += time.Since(began)
			}
			b.ReportMetric(float64(round*sagas)/elapsed.Seconds(), "sagas/s")
		})
	}
}

// completed counts the completed sagas.
func completed(b *testing.B, runner *saga.Runner) int64 {
	var n int64
	err := runner.CountByStatus(context.Background(), func(_, status string, count int64) {
		if status == saga.Completed {
			n += count
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
