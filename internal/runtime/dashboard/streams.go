package dashboard

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/microforge/microforge/internal/runtime/platform/events"
)

// eventSource reads the event stream's state from JetStream.
type eventSource struct {
	url, stream, deadLetters string
	consumers                []Consumer

	mu sync.Mutex
	nc *nats.Conn
	js jetstream.JetStream
}

// eventsView is the event stream with its consumers and dead letters.
type eventsView struct {
	Stream      string
	Missing     bool // no event was published yet: the stream does not exist
	Messages    uint64
	Bytes       uint64
	Subjects    uint64
	Consumers   []consumerView
	DeadLetters []deadLetterView
	Err         string
}

// consumerView is a durable consumer and how far behind it is.
type consumerView struct {
	Name        string
	Service     string
	Subject     string
	Pending     uint64 // stored and not delivered yet: its lag
	AckPending  int    // delivered, not acknowledged yet
	Redelivered int
	LastActive  time.Time
	DeadLetters uint64
}

// deadLetterView is a dead-letter subject: how many events it holds and
// the last of them.
type deadLetterView struct {
	Subject   string
	Consumer  string // the consumer that gave up on them, "" when unknown
	Count     uint64
	EventID   string
	EventType string
	Error     string
	Attempts  string
	At        time.Time
}

func (e *eventSource) connect() (jetstream.JetStream, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.js != nil {
		return e.js, nil
	}
	nc, err := nats.Connect(e.url, nats.Name("dashboard"), nats.Timeout(time.Second), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	e.nc, e.js = nc, js
	return js, nil
}

func (e *eventSource) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.nc != nil {
		e.nc.Close()
		e.nc, e.js = nil, nil
	}
}

// view reads the stream, its consumers and the dead letters.
func (e *eventSource) view(ctx context.Context) *eventsView {
	v := &eventsView{Stream: e.stream}
	js, err := e.connect()
	if err != nil {
		v.Err = "NATS at " + e.url + ": " + err.Error()
		return v
	}
	stream, err := js.Stream(ctx, e.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		v.Missing = true
		return v
	}
	if err != nil {
		v.Err = "stream " + e.stream + ": " + err.Error()
		return v
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(e.deadLetters))
	if err != nil {
		v.Err = "stream " + e.stream + ": " + err.Error()
		return v
	}
	v.Messages, v.Bytes, v.Subjects = info.State.Msgs, info.State.Bytes, info.State.NumSubjects
	byDeadLetter := map[string]Consumer{}
	byDurable := map[string]Consumer{}
	deadLetters := map[string][]string{} // of a durable, several for an ordered group
	for _, c := range e.consumers {
		byDeadLetter[c.DeadLetter], byDurable[c.Durable] = c, c
		deadLetters[c.Durable] = append(deadLetters[c.Durable], c.DeadLetter)
	}
	lister := stream.ListConsumers(ctx)
	for ci := range lister.Info() {
		c := consumerView{Name: ci.Name, Service: byDurable[ci.Name].Service, Subject: ci.Config.FilterSubject,
			Pending: ci.NumPending, AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered}
		if c.Subject == "" {
			c.Subject = strings.Join(ci.Config.FilterSubjects, ", ")
		}
		if ci.Delivered.Last != nil {
			c.LastActive = *ci.Delivered.Last
		}
		for _, dl := range deadLetters[ci.Name] {
			c.DeadLetters += info.State.Subjects[dl]
		}
		v.Consumers = append(v.Consumers, c)
	}
	if err := lister.Err(); err != nil {
		v.Err = "consumers of " + e.stream + ": " + err.Error()
	}
	sort.Slice(v.Consumers, func(i, j int) bool { return v.Consumers[i].Name < v.Consumers[j].Name })
	for subject, n := range info.State.Subjects {
		dl := deadLetterView{Subject: subject, Consumer: byDeadLetter[subject].Durable, Count: n}
		if msg, err := stream.GetLastMsgForSubject(ctx, subject); err == nil {
			dl.EventID, dl.EventType = msg.Header.Get(events.HeaderID), msg.Header.Get(events.HeaderType)
			dl.Error, dl.Attempts, dl.At = msg.Header.Get(events.HeaderError), msg.Header.Get(events.HeaderAttempts), msg.Time
		}
		v.DeadLetters = append(v.DeadLetters, dl)
	}
	sort.Slice(v.DeadLetters, func(i, j int) bool { return v.DeadLetters[i].Subject < v.DeadLetters[j].Subject })
	return v
}
