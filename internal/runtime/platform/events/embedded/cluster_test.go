package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/microforge/microforge/internal/runtime/platform/events/embedded"
)

// A 3-node cluster keeps a stream with 3 replicas writable and its durable
// consumer reading while the node leading the stream is down, and the node
// rejoins on its old ports and store.
func TestClusterSurvivesTheLossOfANode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node JetStream cluster and waits out leader elections")
	}
	// A JetStream API request asked while leaders are being elected can
	// go unanswered, and waits for its context: each request below has its
	// own bound (see apiCtx), the test as a whole two minutes.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	c, err := embedded.StartCluster(t.TempDir(), 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	t.Logf("3 nodes up with a JetStream meta leader after %s", time.Since(began).Round(time.Millisecond))
	urls := strings.Split(c.URLs(), ",")
	if len(urls) != 3 || c.Len() != 3 {
		t.Fatalf("URLs() = %q, want the client URLs of 3 nodes", c.URLs())
	}
	for i, u := range urls {
		if u != c.Node(i).URL() || !strings.HasPrefix(u, "nats://127.0.0.1:") {
			t.Errorf("URL %d = %q, node %d's is %q", i, u, i, c.Node(i).URL())
		}
		if c.NodeNamed(c.Node(i).Name()) != c.Node(i) {
			t.Errorf("NodeNamed(%q) is not node %d", c.Node(i).Name(), i)
		}
	}

	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "TEST", Subjects: []string{"test.>"}, Storage: jetstream.FileStorage, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "reader", AckPolicy: jetstream.AckExplicitPolicy, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	publish := func(i int) error {
		pubCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := js.Publish(pubCtx, "test.event", []byte(strconv.Itoa(i)), jetstream.WithMsgID("msg-"+strconv.Itoa(i)))
		return err
	}
	next := 0 // the next message the consumer must read, in order
	// read reads up to message upTo; while the consumer has no leader
	// (its node went down) fetching fails until another node takes over.
	read := func(upTo int) {
		t.Helper()
		began := time.Now()
		for next < upTo {
			batch, err := cons.Fetch(upTo-next, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				if time.Since(began) > 15*time.Second {
					t.Fatalf("fetch, %s after the first try: %v", time.Since(began).Round(time.Millisecond), err)
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			for msg := range batch.Messages() {
				got, _ := strconv.Atoi(string(msg.Data()))
				if got != next {
					t.Fatalf("read message %d, want %d", got, next)
				}
				if err := msg.Ack(); err != nil {
					t.Fatalf("ack %d: %v", got, err)
				}
				next++
			}
			if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && time.Since(began) > 15*time.Second {
				t.Fatalf("fetch, %s after the first try: %v", time.Since(began).Round(time.Millisecond), err)
			}
		}
		if took := time.Since(began); took > time.Second {
			t.Logf("the consumer read up to message %d after %s", upTo, took.Round(time.Millisecond))
		}
	}
	sent := 0
	for range 10 {
		if err := publish(sent); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	read(sent)

	info, err := streamInfo(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream cluster info %+v, want a leader and 2 replicas", info.Cluster)
	}
	leader := c.NodeNamed(info.Cluster.Leader)
	if leader == nil {
		t.Fatalf("the stream's leader %q is none of the nodes", info.Cluster.Leader)
	}
	// publishAfter publishes until the stream takes a message again after
	// a node went down, and returns how long that took.
	publishAfter := func(down *embedded.Node, how string) time.Duration {
		t.Helper()
		if down.Running() {
			t.Fatalf("%s runs after %s", down.Name(), how)
		}
		began := time.Now()
		var err error
		for time.Since(began) < 15*time.Second {
			if err = publish(sent); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("publishing with %s %s, %s after: %v", down.Name(), how, time.Since(began).Round(time.Millisecond), err)
		}
		sent++
		return time.Since(began)
	}
	// The worst case: the node leading the stream crashes.
	leader.Kill()
	took := publishAfter(leader, "killed")
	t.Logf("%s (the stream's leader) killed: publishing worked again after %s", leader.Name(), took.Round(time.Millisecond))
	for range 10 {
		if err := publish(sent); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	read(sent)

	began = time.Now()
	if err := leader.Resume(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s rejoined after %s", leader.Name(), time.Since(began).Round(time.Millisecond))
	if err := leader.Resume(); err == nil {
		t.Error("resumed a running node")
	}
	if leader.URL() != urls[nodeIndex(c, leader)] {
		t.Errorf("%s resumed on %s, it was on %s", leader.Name(), leader.URL(), urls[nodeIndex(c, leader)])
	}
	// The resumed node catches up with what was published meanwhile.
	if err := eventually(15*time.Second, func() error { return caughtUp(ctx, c, leader.Name(), uint64(sent)) }); err != nil {
		t.Fatal(err)
	}

	// A node stopped cleanly (SIGTERM, a rolling update) hands its
	// leaderships over first.
	info, err = streamInfo(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	leader = c.NodeNamed(info.Cluster.Leader)
	leader.Stop()
	took = publishAfter(leader, "stopped")
	t.Logf("%s (the stream's leader) stopped: publishing worked again after %s", leader.Name(), took.Round(time.Millisecond))
	read(sent)
	if err := leader.Resume(); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := publish(sent); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	read(sent)
	if err := eventually(15*time.Second, func() error { return caughtUp(ctx, c, leader.Name(), uint64(sent)) }); err != nil {
		t.Fatal(err)
	}
}

// apiRequestTimeout bounds one JetStream API request of this test, so
// that a request lost in a leader election is asked again rather than
// waiting out the test's context.
const apiRequestTimeout = 3 * time.Second

// streamInfo asks for the stream's info until a node answers, for at most
// 15 seconds.
func streamInfo(ctx context.Context, stream jetstream.Stream) (*jetstream.StreamInfo, error) {
	var info *jetstream.StreamInfo
	err := eventually(15*time.Second, func() error {
		reqCtx, cancel := context.WithTimeout(ctx, apiRequestTimeout)
		defer cancel()
		var err error
		info, err = stream.Info(reqCtx)
		return err
	})
	return info, err
}

// caughtUp says why the stream's replica on node is not current with last
// messages yet, or nil.
func caughtUp(ctx context.Context, c *embedded.Cluster, node string, last uint64) error {
	ctx, cancel := context.WithTimeout(ctx, apiRequestTimeout)
	defer cancel()
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	stream, err := js.Stream(ctx, "TEST")
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	if info.State.LastSeq != last {
		return fmt.Errorf("stream holds %d messages, want %d", info.State.LastSeq, last)
	}
	if info.Cluster.Leader == node {
		return nil
	}
	for _, r := range info.Cluster.Replicas {
		if r.Name == node {
			if !r.Current || r.Offline {
				return fmt.Errorf("%s's replica: current %v, offline %v, lag %d", node, r.Current, r.Offline, r.Lag)
			}
			return nil
		}
	}
	return fmt.Errorf("%s holds no replica of the stream: %+v", node, info.Cluster)
}

func eventually(limit time.Duration, cond func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func nodeIndex(c *embedded.Cluster, n *embedded.Node) int {
	for i := range c.Len() {
		if c.Node(i) == n {
			return i
		}
	}
	return -1
}

// StartCluster refuses a count it cannot run and a client port in use.
func TestStartClusterRefuses(t *testing.T) {
	if _, err := embedded.StartCluster(t.TempDir(), 0, nil); err == nil {
		t.Error("started a cluster of 0 nodes")
	}
	if _, err := embedded.StartCluster(t.TempDir(), 1, []int{0, 0}); err == nil {
		t.Error("started a cluster with more ports than nodes")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = embedded.StartCluster(t.TempDir(), 3, []int{0, port})
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("started a node on a port in use: %v", err)
	}
}
