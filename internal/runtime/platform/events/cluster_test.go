package events_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/events"
	"github.com/microforge/microforge/internal/runtime/platform/events/embedded"
)

// On a 3-node JetStream cluster with the stream and the consumers
// replicated 3 times, the crash of the node leading the stream delays
// events but loses none and applies none twice: the relay and the
// consumers carry on through the other nodes.
func TestClusterNodeCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node JetStream cluster and waits out a leader election")
	}
	cluster, err := embedded.StartCluster(t.TempDir(), 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	h := newHarnessOn(t, cluster.URLs())
	h.replicas = 3
	// What the relay and the consumers log shows in a failure's output:
	// elections on a loaded machine can be slow, and this says where.
	h.logger = slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.startRelay(t)
	h.startConsumers(t, h.applyEffect)
	recorded := 0
	record := func() {
		h.record(t, t.Context(), "event")
		recorded++
	}
	record()
	eventuallyWithin(t, time.Minute, "the first event is applied", func() bool { return h.count(t, "SELECT COUNT(*) FROM effects") == 1 })

	stream, err := h.js.Stream(t.Context(), events.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream with %d replicas, cluster %+v; want 3", info.Config.Replicas, info.Cluster)
	}
	consumer, err := stream.Consumer(t.Context(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if ci := consumer.CachedInfo(); ci.Config.Replicas != 3 {
		t.Fatalf("consumer with %d replicas, want 3", ci.Config.Replicas)
	}
	leader := cluster.NodeNamed(info.Cluster.Leader)
	if leader == nil {
		t.Fatalf("the stream's leader %q is none of the nodes", info.Cluster.Leader)
	}

	// Commands keep recording events while the node is down; the time until
	// the first of them is applied is what the crash costs.
	leader.Kill()
	killed := time.Now()
	before := recorded
	for h.count(t, "SELECT COUNT(*) FROM effects") <= before {
		if time.Since(killed) > time.Minute {
			t.Fatalf("%s killed: no event recorded since was applied after a minute (%d of %d published, %d applied)", leader.Name(), h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NOT NULL"), recorded, h.count(t, "SELECT COUNT(*) FROM effects"))
		}
		record()
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s (the stream's leader) killed: events recorded since are applied after %s (%d recorded meanwhile)",
		leader.Name(), time.Since(killed).Round(time.Millisecond), recorded-before)

	if err := leader.Resume(); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		record()
	}
	eventuallyWithin(t, time.Minute, "every event is applied", func() bool { return h.count(t, "SELECT COUNT(*) FROM effects") >= recorded })
	if n, distinct := h.count(t, "SELECT COUNT(*) FROM effects"), h.count(t, "SELECT COUNT(DISTINCT event_id) FROM effects"); n != recorded || distinct != recorded {
		t.Errorf("%d events applied, %d distinct; %d recorded", n, distinct, recorded)
	}
	eventuallyWithin(t, time.Minute, "every event is marked published", func() bool {
		return h.count(t, "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL") == 0
	})
}

// testLog writes a logger's lines to the test's log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
