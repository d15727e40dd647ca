package load

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"time"
)

// settlePoll is the pause between looks at the sagas still running.
const settlePoll = 200 * time.Millisecond

// newestPoll is the pause between reads of the newest sagas (watchNewest).
const newestPoll = 20 * time.Millisecond

// settle reads the entity of every saga instance the load started until
// each is in a terminal state or cfg.Settle after the load passed.
//
// Sagas end roughly in the order they started, so a look goes through the
// running ones oldest first and stops at the first batch of which most
// still run; once the time is up, a last look reads every one still
// running.
func (r *runner) settle(ctx context.Context) {
	var pending []*pendingSaga
	for _, f := range r.flows {
		if f.Saga == nil || f.Saga.Unchecked != "" {
			continue
		}
		for _, in := range f.started {
			pending = append(pending, &pendingSaga{flow: f, instance: in})
		}
	}
	if len(pending) == 0 {
		r.settled = r.end
		return
	}
	deadline := r.end.Add(r.cfg.Settle)
	r.watchNewest(ctx, deadline)
	for {
		last := !time.Now().Before(deadline) || ctx.Err() != nil
		pending = r.look(ctx, pending, last)
		if len(pending) == 0 {
			r.settled = time.Now()
			return
		}
		if last {
			return
		}
		wait := time.NewTimer(min(settlePoll, time.Until(deadline)))
		select {
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
		}
	}
}

// watchNewest reads the last saga each checked flow started, every
// newestPoll, until each was seen terminal or the deadline passed, and
// records when (runner.newest). It costs a read or a few per poll, so it
// times the end of the system's backlog closely; the looks of settle then
// check every saga, which takes long with many.
func (r *runner) watchNewest(ctx context.Context, deadline time.Time) {
	var newest []*pendingSaga
	for _, f := range r.flows {
		if f.Saga != nil && f.Saga.Unchecked == "" && len(f.started) > 0 {
			newest = append(newest, &pendingSaga{flow: f, instance: f.started[len(f.started)-1]})
		}
	}
	for ctx.Err() == nil {
		r.read(ctx, newest)
		newest = slices.DeleteFunc(newest, func(p *pendingSaga) bool { return p.terminal })
		if len(newest) == 0 {
			r.newest = time.Now()
			return
		}
		if !time.Now().Add(newestPoll).Before(deadline) {
			return
		}
		time.Sleep(newestPoll)
	}
}

// pendingSaga is a started saga not yet seen terminal.
type pendingSaga struct {
	flow *flowState
	*instance
}

// look reads the pending sagas oldest first, in batches of up to
// 4×cfg.Concurrency read cfg.Concurrency at a time, and returns those not
// seen terminal, in their order. Unless all, it starts with the oldest
// alone, doubles the batch while most of one were terminal and stops after
// one of which fewer than half were: while the system works through a
// backlog, a look costs a read or a few, not a load of its own competing
// with the sagas it waits for.
func (r *runner) look(ctx context.Context, pending []*pendingSaga, all bool) []*pendingSaga {
	limit := 4 * r.cfg.Concurrency
	batch := 1
	if all {
		batch = limit
	}
	var still []*pendingSaga
	for i := 0; i < len(pending); {
		part := pending[i:min(i+batch, len(pending))]
		i += len(part)
		r.read(ctx, part)
		ended := 0
		for _, p := range part {
			if p.terminal {
				ended++
			} else {
				still = append(still, p)
			}
		}
		if !all && 2*ended < len(part) {
			return append(still, pending[i:]...)
		}
		batch = min(2*batch, limit)
	}
	return still
}

// read reads the entity of each saga, cfg.Concurrency at a time, and
// records its status.
func (r *runner) read(ctx context.Context, sagas []*pendingSaga) {
	work := make(chan *pendingSaga)
	var wg sync.WaitGroup
	for range min(r.cfg.Concurrency, len(sagas)) {
		wg.Go(func() {
			for p := range work {
				r.readOne(ctx, p)
			}
		})
	}
	for _, p := range sagas {
		work <- p
	}
	close(work)
	wg.Wait()
}

func (r *runner) readOne(ctx context.Context, p *pendingSaga) {
	sg := p.flow.Saga
	body, err := json.Marshal(map[string]string{sg.ReadID: p.id})
	if err != nil {
		p.last = err.Error()
		return
	}
	status, _, answer, err := r.call(ctx, sg.Read, body, p.subject, p.flow.Role)
	switch {
	case err != nil:
		p.last = errorKind(err)
	case status != 200:
		p.last = "HTTP " + strconv.Itoa(status)
	default:
		st, ok := lookup(answer, sg.Status)
		if !ok {
			p.last = "no status"
			return
		}
		p.last, p.terminal = st, slices.Contains(sg.Terminal, st)
	}
}
