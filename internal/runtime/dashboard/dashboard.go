// Package dashboard serves the local development dashboard that cmd/local
// starts next to the services: a window into the running system showing
// the services with their health and readiness, the gateway's routes and
// their auth, the recent requests, the saga instances with their steps and
// compensations (each on a page of its own), the event stream with each
// consumer's lag and the dead letters, and the traces of recent requests.
//
// It renders HTML on the server from the embedded templates/*.html
// (html/template) and reads without JavaScript; a small inline script
// refreshes the live pages in place. Everything it shows comes from what
// the system exposes anyway: /healthz and /readyz, GET /sagas, JetStream's
// stream and consumer info, and the spans every service hands to a
// Recorder.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/microforge/microforge/internal/runtime/platform/server"
)

//go:embed templates/*.html
var pageFiles embed.FS

// DefaultPort is the port cmd/local serves the dashboard on unless told
// otherwise.
const DefaultPort = 9400

// Config is what the dashboard shows.
type Config struct {
	// System names the system in the page titles, "shop".
	System   string
	Services []Service
	// Gateway is nil for a system without one.
	Gateway *Gateway
	// Sagas are the saga definitions, for the step timelines; the services
	// they name keep their state and serve it on GET /sagas.
	Sagas []Saga
	// Spans feeds the requests and traces; nil shows none.
	Spans *Recorder
	// NATSURL is the NATS server carrying the events; "" for a system
	// without events.
	NATSURL string
	// Stream is the JetStream stream of the events, "SHOP".
	Stream string
	// DeadLetters is the subject filter of the dead letters,
	// "shop.dead_letter.>".
	DeadLetters string
	// Consumers are the durable event consumers of the services.
	Consumers []Consumer
	// Timeout bounds each call the dashboard makes to render a page, 2s by
	// default.
	Timeout time.Duration
}

// Service is a running service.
type Service struct {
	Name string
	URL  string
	// Client calls the service's own endpoints (GET /sagas) with a
	// service token the service accepts.
	Client *http.Client
}

// Gateway is the running gateway and what it routes.
type Gateway struct {
	URL    string
	Routes []Route
}

// Route is one procedure the gateway exposes.
type Route struct {
	Service   string
	Procedure string // "/shop.orders.v1.OrdersService/PlaceOrder"
	REST      string // "POST /v1/orders/place_order"
	Auth      bool   // a bearer token is required
	Roles     []string
}

// Saga is a saga definition.
type Saga struct {
	Name         string // "checkout"
	Service      string // the service keeping its state
	Entity       string // what its instances belong to: the trigger event's aggregate, "Order"
	Trigger      string // "orders.OrderPlaced"
	Choreography bool
	Steps        []Step
	OnFailure    string // "orders.CancelOrder"; "" for none
}

// Step is one step of a saga.
type Step struct {
	Name       string // "reserve_stock"
	Call       string // "inventory.ReserveStock"
	Compensate string // "inventory.ReleaseStock"; "" for none
}

// Consumer is a durable consumer of events.
type Consumer struct {
	Service string
	// Durable is the broker's durable consumer that delivers the events
	// (events.Handler.Consumer): several handlers of an ordered group
	// share one.
	Durable    string
	Subject    string
	DeadLetter string
}

// Dashboard is the dashboard's HTTP handler.
type Dashboard struct {
	cfg    Config
	pages  map[string]*template.Template
	probe  *http.Client
	mux    *http.ServeMux
	events *eventSource    // nil without events
	keeps  map[string]bool // services keeping saga state
}

// New returns the dashboard of cfg. Close it when done.
func New(cfg Config) (*Dashboard, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	d := &Dashboard{cfg: cfg, pages: map[string]*template.Template{}, probe: &http.Client{Timeout: cfg.Timeout}, mux: http.NewServeMux(), keeps: map[string]bool{}}
	for _, sg := range cfg.Sagas {
		d.keeps[sg.Service] = true
	}
	for _, page := range []string{"overview.html", "saga.html", "trace.html", "missing.html"} {
		t, err := template.New(page).Funcs(funcs).ParseFS(pageFiles, "templates/layout.html", "templates/"+page)
		if err != nil {
			return nil, fmt.Errorf("dashboard: internal error: %w", err)
		}
		d.pages[page] = t
	}
	if cfg.NATSURL != "" {
		d.events = &eventSource{url: cfg.NATSURL, stream: cfg.Stream, deadLetters: cfg.DeadLetters, consumers: cfg.Consumers}
	}
	d.mux.HandleFunc("GET /{$}", d.overview)
	d.mux.HandleFunc("GET /sagas/{service}/{id}", d.saga)
	d.mux.HandleFunc("GET /traces/{id}", d.trace)
	return d, nil
}

// ServeHTTP serves the dashboard's pages.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// Serve serves the dashboard on ln until ctx is done.
func (d *Dashboard) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	<-errc
	return nil
}

// Close closes the dashboard's connection to NATS.
func (d *Dashboard) Close() error {
	if d.events != nil {
		d.events.close()
	}
	return nil
}

// page is what every page's layout prints.
type page struct {
	System string
	Title  string
	Live   bool // refreshes itself
	Now    time.Time
}

// overviewPage is the dashboard's front page.
type overviewPage struct {
	page
	Services  []serviceStatus
	Routes    []Route
	Sagas     []sagaRow
	SagaErrs  []string
	Keepers   bool // some service keeps saga state
	Requests  []Request
	Traces    []TraceSummary
	Recording bool // spans are recorded
	Events    *eventsView
}

// serviceStatus is a deployable's health and readiness.
type serviceStatus struct {
	Name, URL         string
	Healthy, Ready    bool
	Health, Readiness string // what /healthz and /readyz said
}

// sagaRow is a saga instance in the overview.
type sagaRow struct {
	sagaState
	Service string
	Entity  string
	Link    string
	Steps   []stepView // nil when its log was not loaded
}

// sagaState is a saga instance as GET /sagas serves it.
type sagaState struct {
	ID         string      `json:"id"`
	Saga       string      `json:"saga"`
	Subject    string      `json:"subject"`
	Status     string      `json:"status"`
	FailedStep string      `json:"failed_step"`
	Error      string      `json:"error"`
	Attempts   int         `json:"attempts"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
	Log        []sagaEntry `json:"log"`
}

// sagaEntry is one transition of a saga.
type sagaEntry struct {
	Step    string    `json:"step"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// detailedSagas is how many of the newest saga instances the overview
// shows with their step timeline.
const detailedSagas = 10

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), d.cfg.Timeout)
	defer cancel()
	p := &overviewPage{page: d.page("", true), Recording: d.cfg.Spans != nil}
	if d.cfg.Gateway != nil {
		p.Routes = d.cfg.Gateway.Routes
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.Services = d.statuses(ctx) })
	wg.Go(func() { p.Sagas, p.SagaErrs = d.sagas(ctx) })
	if d.events != nil {
		wg.Go(func() { p.Events = d.events.view(ctx) })
	}
	wg.Wait()
	p.Keepers = len(d.keeps) > 0
	if d.cfg.Spans != nil {
		p.Requests = d.cfg.Spans.Requests(50)
		p.Traces = d.cfg.Spans.Traces(20)
	}
	d.render(w, "overview.html", http.StatusOK, p)
}

func (d *Dashboard) page(title string, live bool) page {
	return page{System: d.cfg.System, Title: title, Live: live, Now: time.Now()}
}

// statuses probes every service's and the gateway's /healthz and /readyz.
func (d *Dashboard) statuses(ctx context.Context) []serviceStatus {
	targets := make([]serviceStatus, 0, len(d.cfg.Services)+1)
	for _, s := range d.cfg.Services {
		targets = append(targets, serviceStatus{Name: s.Name, URL: s.URL})
	}
	if d.cfg.Gateway != nil {
		targets = append(targets, serviceStatus{Name: "gateway", URL: d.cfg.Gateway.URL})
	}
	var wg sync.WaitGroup
	for i := range targets {
		t := &targets[i]
		wg.Go(func() {
			t.Healthy, t.Health = d.check(ctx, t.URL+"/healthz")
			t.Ready, t.Readiness = d.check(ctx, t.URL+"/readyz")
		})
	}
	wg.Wait()
	return targets
}

// check GETs a probe and returns whether it answered 200, and what it said.
func (d *Dashboard) check(ctx context.Context, url string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("User-Agent", server.PollerAgent)
	resp, err := d.probe.Do(req)
	if err != nil {
		return false, unwrapURLError(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return resp.StatusCode == http.StatusOK, strings.TrimSpace(string(body))
}

func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// sagas lists the newest saga instances of every service keeping saga
// state, newest first, the first detailedSagas with their timelines.
func (d *Dashboard) sagas(ctx context.Context) ([]sagaRow, []string) {
	var (
		mu   sync.Mutex
		rows []sagaRow
		errs []string
		wg   sync.WaitGroup
	)
	for _, s := range d.cfg.Services {
		if !d.keeps[s.Name] {
			continue
		}
		wg.Go(func() {
			var list []sagaState
			err := d.getJSON(ctx, s, "/sagas", &list)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", s.Name, err))
				return
			}
			for _, st := range list {
				rows = append(rows, d.sagaRow(s.Name, st))
			}
		})
	}
	wg.Wait()
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].CreatedAt.After(rows[j].CreatedAt) })
	for i := range rows[:min(len(rows), detailedSagas)] {
		row := &rows[i]
		wg.Go(func() {
			svc, _ := d.service(row.Service)
			var st sagaState
			if err := d.getJSON(ctx, svc, "/sagas/"+url.PathEscape(row.ID), &st); err == nil {
				row.sagaState = st
				row.Steps, _ = timeline(d.definition(st.Saga), st)
			}
		})
	}
	wg.Wait()
	sort.Strings(errs)
	return rows, errs
}

func (d *Dashboard) sagaRow(service string, st sagaState) sagaRow {
	row := sagaRow{sagaState: st, Service: service, Link: "/sagas/" + url.PathEscape(service) + "/" + url.PathEscape(st.ID)}
	if def := d.definition(st.Saga); def != nil {
		row.Entity = def.Entity
	}
	return row
}

func (d *Dashboard) definition(name string) *Saga {
	for i := range d.cfg.Sagas {
		if d.cfg.Sagas[i].Name == name {
			return &d.cfg.Sagas[i]
		}
	}
	return nil
}

func (d *Dashboard) service(name string) (Service, bool) {
	for _, s := range d.cfg.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// errNotFound is a 404 of a service.
var errNotFound = errors.New("not found")

// getJSON GETs path of service s and decodes its JSON answer into v.
func (d *Dashboard) getJSON(ctx context.Context, s Service, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", server.PollerAgent)
	client := s.Client
	if client == nil {
		client = d.probe
	}
	resp, err := client.Do(req)
	if err != nil {
		return errors.New(unwrapURLError(err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return errNotFound
	case resp.StatusCode != http.StatusOK:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// sagaPage is the page of one saga instance.
type sagaPage struct {
	page
	Service   string
	ID        string
	State     sagaState
	Def       *Saga // nil when the saga is not in the blueprint any more
	Entity    string
	Steps     []stepView
	OnFailure *stepView
	TraceID   string
	Err       string
}

// stepView is a step of a saga instance on its timeline.
type stepView struct {
	Name      string
	Call      string
	State     string // done, failed, retrying, pending, skipped
	Retries   int    // failed attempts before the last
	At        time.Time
	Error     string
	Comp      string // the compensating command; "" for none
	CompState string // compensated, compensating, pending; "" when not needed
	CompAt    time.Time
	CompError string
}

func (d *Dashboard) saga(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), d.cfg.Timeout)
	defer cancel()
	name, id := r.PathValue("service"), r.PathValue("id")
	p := &sagaPage{page: d.page("saga "+id, true), Service: name, ID: id}
	svc, ok := d.service(name)
	if !ok || !d.keeps[name] {
		d.render(w, "missing.html", http.StatusNotFound, &missingPage{page: d.page("not found", false), What: fmt.Sprintf("%s keeps no sagas", name)})
		return
	}
	err := d.getJSON(ctx, svc, "/sagas/"+url.PathEscape(id), &p.State)
	switch {
	case errors.Is(err, errNotFound):
		d.render(w, "missing.html", http.StatusNotFound, &missingPage{page: d.page("not found", false), What: fmt.Sprintf("%s has no saga %s", name, id)})
		return
	case err != nil:
		p.Err = err.Error()
		d.render(w, "saga.html", http.StatusBadGateway, p)
		return
	}
	p.Def = d.definition(p.State.Saga)
	if p.Def != nil {
		p.Entity = p.Def.Entity
		p.Title = "saga " + p.Def.Name + " " + id
	}
	p.Steps, p.OnFailure = timeline(p.Def, p.State)
	if d.cfg.Spans != nil {
		p.TraceID = d.cfg.Spans.TraceOf("saga.id", id)
	}
	d.render(w, "saga.html", http.StatusOK, p)
}

// timeline returns the steps of a saga instance with how far each got,
// from its log, and its on_failure call (nil when it has none). def may
// be nil: then the steps are those the log names.
func timeline(def *Saga, st sagaState) ([]stepView, *stepView) {
	var steps []stepView
	onFailure := ""
	if def != nil {
		for _, s := range def.Steps {
			steps = append(steps, stepView{Name: s.Name, Call: s.Call, Comp: s.Compensate})
		}
		onFailure = def.OnFailure
	} else {
		for _, e := range st.Log {
			if e.Action == "on_failure" {
				onFailure = e.Step
			} else if !slices.ContainsFunc(steps, func(s stepView) bool { return s.Name == e.Step }) {
				steps = append(steps, stepView{Name: e.Step})
			}
		}
	}
	failedAt := -1
	for i := range steps {
		s := &steps[i]
		for _, e := range st.Log {
			if e.Step != s.Name {
				continue
			}
			switch e.Action {
			case "call":
				s.At, s.Error = e.At, e.Error
				switch e.Outcome {
				case "done":
					s.State = "done"
				case "failed":
					s.State, failedAt = "failed", i
				case "retrying":
					s.State = "retrying"
					s.Retries++
				}
			case "compensate":
				s.CompAt, s.CompError = e.At, e.Error
				if def == nil && s.Comp == "" {
					s.Comp = "compensation"
				}
				switch e.Outcome {
				case "done":
					s.CompState = "compensated"
				default:
					s.CompState = "compensating"
				}
			}
		}
		if s.State == "done" && s.Retries > 0 {
			s.Error = "" // the error of an attempt that was retried away
		}
	}
	if failedAt < 0 && st.FailedStep != "" {
		failedAt = slices.IndexFunc(steps, func(s stepView) bool { return s.Name == st.FailedStep })
		if failedAt >= 0 && steps[failedAt].State == "" {
			steps[failedAt].State = "failed"
		}
	}
	failing := st.Status == "compensating" || st.Status == "failed"
	for i := range steps {
		s := &steps[i]
		if s.State == "" {
			if failing || (failedAt >= 0 && i > failedAt) {
				s.State = "skipped"
			} else {
				s.State = "pending"
			}
		}
		if s.CompState == "" && s.Comp != "" && st.Status == "compensating" && s.State == "done" {
			s.CompState = "pending"
		}
	}
	if onFailure == "" {
		return steps, nil
	}
	of := &stepView{Name: "on_failure", Call: onFailure}
	for _, e := range st.Log {
		if e.Action == "on_failure" {
			of.At, of.Error = e.At, e.Error
			of.State = map[string]string{"done": "done", "failed": "failed", "retrying": "retrying"}[e.Outcome]
		}
	}
	if of.State == "" {
		switch st.Status {
		case "compensating":
			of.State = "pending"
		case "failed":
			of.State = "done"
		default:
			of.State = "not needed"
		}
	}
	return steps, of
}

// tracePage is the page of one trace.
type tracePage struct {
	page
	ID       string
	Spans    []spanBar
	Start    time.Time
	Duration time.Duration
}

// spanBar is a span drawn on its trace's time line.
type spanBar struct {
	TreeSpan
	Indent template.CSS // padding of its name, by depth
	Bar    template.CSS // position and width of its bar, in percent of the trace
	Offset time.Duration
}

func (d *Dashboard) trace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var spans []TreeSpan
	ok := false
	if d.cfg.Spans != nil {
		spans, ok = d.cfg.Spans.Trace(id)
	}
	if !ok {
		d.render(w, "missing.html", http.StatusNotFound, &missingPage{page: d.page("not found", false),
			What: fmt.Sprintf("no trace %s is recorded: the dashboard keeps the spans of the most recent traces only", id)})
		return
	}
	p := &tracePage{page: d.page("trace "+id, false), ID: id}
	start, end := spans[0].Start, spans[0].End
	for _, s := range spans {
		if s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
	}
	total := max(end.Sub(start), time.Microsecond)
	p.Start, p.Duration = start, end.Sub(start)
	for _, s := range spans {
		left := float64(s.Start.Sub(start)) / float64(total) * 100
		width := max(float64(s.Duration())/float64(total)*100, 0.3)
		p.Spans = append(p.Spans, spanBar{
			TreeSpan: s,
			Indent:   template.CSS(fmt.Sprintf("padding-left: %.1fem", float64(s.Depth)*1.2)),
			Bar:      template.CSS(fmt.Sprintf("margin-left: %.2f%%; width: %.2f%%", min(left, 99.7), min(width, 100-min(left, 99.7)))),
			Offset:   s.Start.Sub(start),
		})
	}
	d.render(w, "trace.html", http.StatusOK, p)
}

// missingPage says what was not found.
type missingPage struct {
	page
	What string
}

func (d *Dashboard) render(w http.ResponseWriter, name string, status int, data any) {
	var buf strings.Builder
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "dashboard: internal error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, buf.String())
}

// funcs are the helpers the page templates call.
var funcs = template.FuncMap{
	// dur rounds a duration for reading: 1.234s, 12.3ms, 456µs.
	"dur": func(d time.Duration) string {
		switch {
		case d >= time.Second:
			return d.Round(time.Millisecond).String()
		case d >= time.Millisecond:
			return d.Round(10 * time.Microsecond).String()
		default:
			return d.Round(time.Microsecond).String()
		}
	},
	// clock is a time of day with milliseconds, in local time.
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("15:04:05.000")
	},
	// auth says who may call a route.
	"auth": func(r Route) string {
		switch {
		case !r.Auth:
			return "public"
		case len(r.Roles) == 0:
			return "bearer token"
		default:
			return "bearer token, role " + strings.Join(r.Roles, " or ")
		}
	},
	"join": strings.Join,
}
