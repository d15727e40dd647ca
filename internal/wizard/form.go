package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/huh"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/graph"
	"github.com/microforge/microforge/internal/model"
)

// ErrAborted is returned when the user quits (Ctrl-C or Esc).
var ErrAborted = huh.ErrUserAborted

// Options configure a wizard run.
type Options struct {
	In         io.Reader
	Out        io.Writer
	Accessible bool   // huh's accessible mode: plain prompts, one per line
	Dir        string // the directory the system goes to; names the default system
	File       string // Edit: the blueprint edited, named in the last question
	// Answers already given as flags; their questions are not asked.
	Name, Module, Starter string
}

type wizard struct {
	ctx  context.Context
	opts Options
	a    *Answers
}

func (w *wizard) run(groups ...*huh.Group) error {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("ctrl+c", "esc"), key.WithHelp("esc", "quit"))
	f := huh.NewForm(groups...).WithKeyMap(km).WithAccessible(w.opts.Accessible).WithShowHelp(true)
	if w.opts.In != nil {
		f = f.WithInput(w.opts.In)
	}
	if w.opts.Out != nil {
		f = f.WithOutput(w.opts.Out)
	}
	return f.RunWithContext(w.ctx)
}

// Run asks for a whole system, shows the summary and the architecture, and
// returns the blueprint once the user confirmed. It returns ErrAborted when
// the user quits or declines.
func Run(ctx context.Context, opts Options) ([]byte, error) {
	w := &wizard{ctx: ctx, opts: opts, a: &Answers{}}
	if err := w.system(); err != nil {
		return nil, err
	}
	if w.a.Base != nil {
		for {
			more := false
			if err := w.run(huh.NewGroup(huh.NewConfirm().Title("Add a service to the " + w.opts.Starter + " starter?").Value(&more))); err != nil {
				return nil, err
			}
			if !more {
				break
			}
			if err := w.addService(); err != nil {
				return nil, err
			}
		}
	} else if err := w.whole(); err != nil {
		return nil, err
	}
	return w.confirm(fmt.Sprintf("Write %s/microforge.yaml and generate the repository?", w.opts.Dir), "Generate")
}

// Edit asks every question of Run again, each answer offered as the
// blueprint the answers were loaded from (Load) says, and returns the
// edited blueprint once the user confirmed: the blueprint's text with the
// changed answers written into it, comments and the keys the wizard does
// not ask about kept.
func Edit(ctx context.Context, opts Options, a *Answers) ([]byte, error) {
	if !a.Editing() {
		return nil, errors.New("internal error: wizard.Edit needs answers from wizard.Load")
	}
	w := &wizard{ctx: ctx, opts: opts, a: a}
	if err := w.system(); err != nil {
		return nil, err
	}
	if err := w.whole(); err != nil {
		return nil, err
	}
	return w.confirm(fmt.Sprintf("Write %s and regenerate the repository?", w.opts.File), "Regenerate")
}

// whole asks for the services, the gateway, the owners of entities (once
// the roles the gateway lets in are known), the sagas and the deployment.
func (w *wizard) whole() error {
	for _, step := range []func() error{w.services, w.gateway, w.owners, w.sagas, w.deploy} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// confirm shows the summary and the architecture and asks to go ahead.
func (w *wizard) confirm(title, yes string) ([]byte, error) {
	sys, text, err := Parse(w.a)
	if err != nil {
		return nil, err // a bug: every answer was checked
	}
	fmt.Fprint(w.out(), Summary(sys))
	ok := true
	if err := w.run(huh.NewGroup(huh.NewConfirm().Title(title).Affirmative(yes).Negative("Cancel").Value(&ok))); err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrAborted
	}
	return text, nil
}

func (w *wizard) out() io.Writer {
	if w.opts.Out != nil {
		return w.opts.Out
	}
	return io.Discard
}

// Summary describes a system and draws its architecture as text.
func Summary(sys *model.System) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s (%s): %d service(s)", sys.Name, sys.Module, len(sys.Services))
	if sys.Gateway != nil {
		fmt.Fprintf(&b, ", a gateway on :%d", sys.Gateway.Port)
	}
	if n := len(sys.Sagas); n > 0 {
		fmt.Fprintf(&b, ", %d saga(s)", n)
	}
	b.WriteString("\n")
	for _, s := range sys.Services {
		fmt.Fprintf(&b, "  %-12s %-8s %d command(s), %d query(ies), %d event(s)\n", s.Name, s.Store, len(s.Commands), len(s.Queries), len(s.Events))
	}
	b.WriteString("\nArchitecture (microforge graph --format text):\n")
	b.WriteString(graph.Build(sys).Text())
	b.WriteString("\n")
	return b.String()
}

// system asks for the name, module, description and starter; in an edit,
// for the name, module and description as they are.
func (w *wizard) system() error {
	a := w.a
	if a.Editing() {
		chk := func(key string, set func(*Answers, string)) func(string) error {
			return func(v string) error {
				c := *a
				set(&c, v)
				return check(&c, key)
			}
		}
		return w.run(huh.NewGroup(
			huh.NewInput().Title(w.titled("System name", &a.Name)).Value(&a.Name).Validate(w.kept(&a.Name, chk("name", func(c *Answers, v string) { c.Name = v }))),
			huh.NewInput().Title(w.titled("Go module path", &a.Module)).Value(&a.Module).Validate(w.kept(&a.Module, chk("module", func(c *Answers, v string) { c.Module = v }))),
			huh.NewInput().Title(w.titled("Description", &a.Description)).Value(&a.Description).Validate(w.kept(&a.Description, chk("description", func(c *Answers, v string) { c.Description = v }))),
		).Title("System " + a.Name))
	}
	a.Name = w.opts.Name
	if a.Name == "" {
		a.Name = DefaultName(w.opts.Dir)
		if err := w.run(huh.NewGroup(huh.NewInput().Title(w.titled("System name", &a.Name)).
			Description("lower_snake_case; names the Go module's default, the Kubernetes namespace and the proto packages").
			Value(&a.Name).Validate(w.kept(&a.Name, func(v string) error {
			c := *a
			c.Name = v
			return check(&c, "name")
		})))); err != nil {
			return err
		}
	}
	starter := w.opts.Starter
	a.Module = w.opts.Module
	if a.Module == "" {
		a.Module = DefaultModule(a.Name)
	}
	a.Description = "The " + strings.ReplaceAll(a.Name, "_", " ") + " system."
	var fields []huh.Field
	if w.opts.Module == "" {
		fields = append(fields, huh.NewInput().Title(w.titled("Go module path", &a.Module)).Value(&a.Module).Validate(w.kept(&a.Module, func(v string) error {
			c := *a
			c.Module = v
			return check(&c, "module")
		})))
	}
	if starter == "" {
		starter = "empty"
		fields = append(fields, huh.NewSelect[string]().Title("Start from").Options(
			huh.NewOption("empty — describe your services one by one", "empty"),
			huh.NewOption("shop — orders, payments, inventory, a gateway and a checkout saga", "shop"),
			huh.NewOption("minimal — one notes service on SQLite", "minimal"),
		).Value(&starter))
	}
	if len(fields) > 0 {
		if err := w.run(huh.NewGroup(fields...)); err != nil {
			return err
		}
	}
	w.opts.Starter = starter
	if starter == "empty" {
		return w.run(huh.NewGroup(huh.NewInput().Title(w.titled("Description", &a.Description)).Value(&a.Description).Validate(w.kept(&a.Description, func(v string) error {
			c := *a
			c.Description = v
			return check(&c, "description")
		}))))
	}
	base, err := StarterText(starter)
	if err != nil {
		return err
	}
	a.Base = base
	return nil
}

// services asks for services until the user has enough; in an edit, for
// each service there is first.
func (w *wizard) services() error {
	if w.a.Editing() {
		for i := range w.a.Services {
			s := w.a.Services[i]
			if err := w.service(&s, i); err != nil {
				return err
			}
			w.a.Services[i] = s
		}
	} else if err := w.addService(); err != nil {
		return err
	}
	for {
		more := false
		if err := w.run(huh.NewGroup(huh.NewConfirm().
			Title(fmt.Sprintf("Add another service? (%s so far)", strings.Join(serviceNamesOf(w.a.Services), ", "))).
			Value(&more))); err != nil {
			return err
		}
		if !more {
			return nil
		}
		if err := w.addService(); err != nil {
			return err
		}
	}
}

// addService asks for one more service and appends it to the answers.
func (w *wizard) addService() error {
	var taken []string
	if w.a.Base != nil || len(w.a.Services) > 0 {
		sys, _, err := Parse(w.a)
		if err != nil {
			return err
		}
		for _, s := range sys.Services {
			taken = append(taken, s.Name)
		}
	}
	s := DefaultService(taken)
	if err := w.service(&s, len(w.a.Services)); err != nil {
		return err
	}
	w.a.Services = append(w.a.Services, s)
	return nil
}

// withService returns the answers with s as service idx: in its place, or
// appended when idx is past the last.
func withService(a *Answers, idx int, s Service) *Answers {
	c := *a
	c.Services = append([]Service{}, a.Services...)
	if idx < len(c.Services) {
		c.Services[idx] = s
	} else {
		c.Services = append(c.Services, s)
	}
	return &c
}

// service asks the questions of service idx of the answers (a new one when
// idx is past the last), starting from the answers in s; calls and
// consumes are offered from the other services.
func (w *wizard) service(s *Service, idx int) error {
	sys := &model.System{} // the first service: nothing to parse yet
	if w.a.Base != nil || len(w.a.Services) > 0 {
		var err error
		if sys, _, err = Parse(w.a); err != nil {
			return err
		}
	}
	self := ""
	if idx < len(w.a.Services) {
		self = w.a.Services[idx].Name
	}
	var others []*model.Service
	for _, o := range sys.Services {
		if o.Name != self || self == "" {
			others = append(others, o)
		}
	}
	number := len(sys.Services) - len(w.a.Services) + idx + 1
	chk := func(key string, set func(*Service, string)) func(string) error {
		return func(v string) error {
			cs := *s
			set(&cs, v)
			return check(withService(w.a, idx, cs), fmt.Sprintf("services.%d.%s", idx, key))
		}
	}
	oldName := s.Name
	if err := w.run(huh.NewGroup(
		huh.NewInput().Title(w.titled(fmt.Sprintf("Service %d: name", number), &s.Name)).Description("lower_snake_case; becomes a Go package").
			Value(&s.Name).Validate(w.kept(&s.Name, chk("name", func(s *Service, v string) { s.Name = v }))),
	)); err != nil {
		return err
	}
	if s.Name != oldName {
		// Offer what is offered for a service of the new name, unless
		// the caller preset it.
		old := Service{Name: oldName}
		old.FillAPI()
		if s.Entities == old.Entities && s.Commands == old.Commands && s.Queries == old.Queries && s.Events == old.Events {
			s.FillAPI()
		}
		if s.Description == defaultDescription(oldName) {
			s.Description = defaultDescription(s.Name)
		}
	}
	stores := []string{string(model.StoreSQLite), string(model.StorePostgres), string(model.StoreMySQL)}
	if err := w.run(huh.NewGroup(
		huh.NewInput().Title(w.titled("Description", &s.Description)).Value(&s.Description).Validate(w.kept(&s.Description, chk("description", func(s *Service, v string) { s.Description = v }))),
		huh.NewSelect[string]().Title("Store").Options(huh.NewOptions(stores...)...).Value(&s.Store),
		huh.NewMultiSelect[string]().Title("Patterns").Description("none: plain CRUD over the store").
			Options(huh.NewOption("cqrs — separate read models", "cqrs"), huh.NewOption("event-sourcing — state from recorded events", "event-sourcing")).
			Value(&s.Patterns),
	).Title("Service " + s.Name)); err != nil {
		return err
	}
	text := func(key, title, desc string, v *string) *huh.Text {
		return huh.NewText().Title(w.titled(title, v)).Description(desc + " (one per line; ctrl+j: new line)").Lines(3).
			Value(v).Validate(w.kept(v, chk(key, func(s *Service, t string) {
			switch key {
			case "types":
				s.Types = t
			case "entities":
				s.Entities = t
			case "commands":
				s.Commands = t
			case "queries":
				s.Queries = t
			case "events":
				s.Events = t
			}
		})))
	}
	// Each answer is checked on its own as it is typed; the five together
	// once more at the end (an event removed that a command emits), asking
	// again with the problems shown until they agree.
	problems := ""
	for {
		desc := "Types: string bool int32 int64 double bytes timestamp, enum(a, b), list<T>, Entity, service.Type"
		if problems != "" {
			desc = "Fix: " + problems + "\n" + desc
		}
		if err := w.run(huh.NewGroup(
			// In the order they refer to each other.
			text("types", "Types of "+s.Name, "shapes fields share, e.g. LineItem: {sku: string, quantity: int32}; often none", &s.Types),
			text("entities", "Entities", "Name: {field: type, ...}", &s.Entities),
			text("events", "Events", "Name: {field: type, ...}", &s.Events),
			text("commands", "Commands", "Name: {input: {field: type}, emits: [Event]}", &s.Commands),
			text("queries", "Queries", "Name: {input: {field: type}, output: Entity}", &s.Queries),
		).Description(desc)); err != nil {
			return err
		}
		prefix := fmt.Sprintf("services.%d.", idx)
		err := checkKeys(withService(w.a, idx, *s), func(k string) bool { return strings.HasPrefix(k, prefix) }, true)
		if err == nil {
			break
		}
		problems = err.Error()
		if w.opts.Accessible {
			fmt.Fprintln(w.out(), "Fix:", problems)
		}
	}
	var callOpts, eventOpts []huh.Option[string]
	for _, o := range others {
		callOpts = append(callOpts, huh.NewOption(o.Name, o.Name))
		for _, ev := range o.Events {
			ref := o.Name + "." + ev.Name
			eventOpts = append(eventOpts, huh.NewOption(ref, ref))
		}
	}
	var fields []huh.Field
	if len(callOpts) > 0 {
		fields = append(fields, huh.NewMultiSelect[string]().Title(s.Name+" calls (synchronously)").Options(callOpts...).Value(&s.Calls).
			Validate(func(v []string) error {
				return chk("calls", func(s *Service, _ string) { s.Calls = v })("")
			}))
	}
	if len(eventOpts) > 0 {
		fields = append(fields, huh.NewMultiSelect[string]().Title(s.Name+" consumes (events)").Options(eventOpts...).Value(&s.Consumes).
			Validate(func(v []string) error {
				return chk("consumes", func(s *Service, _ string) { s.Consumes = v })("")
			}))
	}
	if len(fields) > 0 {
		if err := w.run(huh.NewGroup(fields...)); err != nil {
			return err
		}
	}
	if err := w.constraints(s, idx); err != nil {
		return err
	}
	return w.effects(s, idx)
}

// gateway asks which services and methods the gateway routes and how, its
// port, rate limit and CORS, and the JWT configuration its routes need.
func (w *wizard) gateway() error {
	a := w.a
	want := !a.Editing() || a.Gateway != nil
	title := "Add an API gateway?"
	if a.Editing() && a.Gateway != nil {
		title = "Keep the API gateway?"
	}
	if err := w.run(huh.NewGroup(huh.NewConfirm().Title(title).
		Description("one public HTTP entry point that checks JWTs and routes to services").Value(&want))); err != nil {
		return err
	}
	if !want {
		a.Gateway, a.Auth = nil, nil
		return nil
	}
	sys, _, err := Parse(a)
	if err != nil {
		return err
	}
	before := a.Gateway
	if before == nil {
		before = &Gateway{Port: 8080}
	}
	routed := serviceNamesOf(a.Services)
	if a.Gateway != nil {
		routed = nil
		for _, r := range a.Gateway.Routes {
			routed = append(routed, r.Service)
		}
	}
	if err := w.run(huh.NewGroup(huh.NewMultiSelect[string]().Title("Services the gateway routes").
		Options(huh.NewOptions(serviceNamesOf(a.Services)...)...).Value(&routed).Validate(func(v []string) error {
		if len(v) == 0 {
			return errors.New("choose at least one service, or go back and add no gateway")
		}
		return nil
	}))); err != nil {
		return err
	}
	// The routes there were, in their order, then the new ones in the
	// order of the services.
	var order []string
	for _, r := range before.Routes {
		if slices.Contains(routed, r.Service) {
			order = append(order, r.Service)
		}
	}
	for _, n := range serviceNamesOf(a.Services) {
		if slices.Contains(routed, n) && !slices.Contains(order, n) {
			order = append(order, n)
		}
	}
	g := *before
	g.Routes = nil
	a.Gateway = &g
	if a.Auth == nil {
		a.Auth = DefaultAuth(a.Name) // while routes are checked; asked for below
	}
	for i, name := range order {
		r := Route{Service: name, Auth: "required"}
		for _, old := range before.Routes {
			if old.Service == name {
				r = old
			}
		}
		var methods []huh.Option[string]
		if svc := sys.Service(name); svc != nil {
			for _, c := range svc.Commands {
				methods = append(methods, huh.NewOption(c.Name, c.Name))
			}
			for _, q := range svc.Queries {
				methods = append(methods, huh.NewOption(q.Name, q.Name))
			}
		}
		roles := strings.Join(r.Roles, ", ")
		chk := func(mut func(*Route)) error {
			c := *a
			g := *a.Gateway
			g.Routes = append(append([]Route{}, a.Gateway.Routes...), r)
			mut(&g.Routes[i])
			c.Gateway = &g
			return check(&c, fmt.Sprintf("gateway.routes.%d", i))
		}
		if err := w.run(huh.NewGroup(
			huh.NewMultiSelect[string]().Title("Methods of "+name+" routed").Description("none selected: every method").
				Options(methods...).Value(&r.Methods),
			huh.NewSelect[string]().Title("Authentication").Options(
				huh.NewOption("required — a valid JWT", "required"), huh.NewOption("none — public", "none")).Value(&r.Auth),
			huh.NewInput().Title(w.titled("Roles the caller needs", &roles)).Description("comma-separated; empty: any authenticated caller").
				Value(&roles).Validate(w.kept(&roles, func(v string) error {
				return chk(func(r *Route) { r.Roles = splitList(v) })
			})),
		).Title("Route to " + name)); err != nil {
			return err
		}
		r.Roles = splitList(roles)
		a.Gateway.Routes = append(a.Gateway.Routes, r)
	}
	if err := w.gatewaySettings(); err != nil {
		return err
	}
	needAuth := false
	for _, r := range a.Gateway.Routes {
		needAuth = needAuth || r.Auth == "required"
	}
	if !needAuth {
		a.Auth = nil
		return nil
	}
	au := a.Auth
	chk := func(key string, set func(*Auth, string)) func(string) error {
		return func(v string) error {
			c := *a
			ca := *au
			set(&ca, v)
			c.Auth = &ca
			return check(&c, key)
		}
	}
	return w.run(huh.NewGroup(
		huh.NewInput().Title(w.titled("JWT issuer", &au.Issuer)).Value(&au.Issuer).Validate(w.kept(&au.Issuer, chk("auth.issuer", func(x *Auth, v string) { x.Issuer = v }))),
		huh.NewInput().Title(w.titled("JWT audience", &au.Audience)).Value(&au.Audience).Validate(w.kept(&au.Audience, chk("auth.audience", func(x *Auth, v string) { x.Audience = v }))),
		huh.NewInput().Title(w.titled("JWKS URL", &au.JWKSURL)).Description("where the issuer publishes its signing keys").
			Value(&au.JWKSURL).Validate(w.kept(&au.JWKSURL, chk("auth.jwks_url", func(x *Auth, v string) { x.JWKSURL = v }))),
	).Title("Authentication"))
}

// gatewaySettings asks for the gateway's port, its rate limit per client
// and the origins CORS allows.
func (w *wizard) gatewaySettings() error {
	a := w.a
	g := a.Gateway
	port := strconv.Itoa(g.Port)
	rps, burst := "", ""
	if r := g.RateLimit; r != nil {
		rps = strconv.FormatFloat(r.RequestsPerSecond, 'f', -1, 64)
		if r.Burst > 0 {
			burst = strconv.Itoa(r.Burst)
		}
	}
	origins := strings.Join(g.CORS, ", ")
	// settings reads the three answers into a gateway; a number that is
	// none is the user's to fix.
	settings := func(port, rps, burst, origins string) (*Gateway, error) {
		c := *g
		p, err := strconv.Atoi(strings.TrimSpace(port))
		if err != nil {
			return nil, fmt.Errorf("%q is not a port number", port)
		}
		c.Port = p
		c.RateLimit = nil
		r := &RateLimit{}
		if strings.TrimSpace(burst) != "" {
			if r.Burst, err = strconv.Atoi(strings.TrimSpace(burst)); err != nil {
				return nil, fmt.Errorf("%q is not a whole number", burst)
			}
		}
		switch {
		case strings.TrimSpace(rps) != "":
			if r.RequestsPerSecond, err = strconv.ParseFloat(strings.TrimSpace(rps), 64); err != nil {
				return nil, fmt.Errorf("%q is not a number of requests per second", rps)
			}
			c.RateLimit = r
		case strings.TrimSpace(burst) != "":
			return nil, errors.New("a burst needs a rate limit: give the requests per second, or leave the burst empty")
		}
		c.CORS = splitList(origins)
		return &c, nil
	}
	chk := func(key string, with func(string) (*Gateway, error)) func(string) error {
		return func(v string) error {
			ng, err := with(v)
			if err != nil {
				return err
			}
			c := *a
			c.Gateway = ng
			return check(&c, key)
		}
	}
	if err := w.run(huh.NewGroup(
		huh.NewInput().Title(w.titled("Gateway port", &port)).Value(&port).
			Validate(w.kept(&port, chk("gateway.port", func(v string) (*Gateway, error) { return settings(v, rps, burst, origins) }))),
		huh.NewInput().Title(w.titled("Rate limit per client (requests per second)", &rps)).Description("empty: no limit").Value(&rps).
			Validate(w.kept(&rps, chk("gateway.rate_limit", func(v string) (*Gateway, error) { return settings(port, v, burst, origins) }))),
		huh.NewInput().Title(w.titled("Burst", &burst)).Description("requests a client may send at once; empty: one second's worth").Value(&burst).
			Validate(w.kept(&burst, chk("gateway.rate_limit", func(v string) (*Gateway, error) { return settings(port, rps, v, origins) }))),
		huh.NewInput().Title(w.titled("CORS allowed origins", &origins)).Description("comma-separated, e.g. https://shop.example.com, or *; empty: no CORS").Value(&origins).
			Validate(w.kept(&origins, chk("gateway.cors", func(v string) (*Gateway, error) { return settings(port, rps, burst, v) }))),
	).Title("Gateway")); err != nil {
		return err
	}
	ng, err := settings(port, rps, burst, origins)
	if err != nil {
		return err
	}
	a.Gateway = ng
	return nil
}

// sagas asks for sagas, offering the events and commands the services
// declare; in an edit, for each saga there is first.
func (w *wizard) sagas() error {
	a := w.a
	if a.Editing() {
		for i := range a.Sagas {
			sg := a.Sagas[i]
			if err := w.saga(&sg, i); err != nil {
				return err
			}
			a.Sagas[i] = sg
		}
	}
	for {
		more := false
		title := "Add a saga? (steps across services, undone when one fails)"
		if len(a.Sagas) > 0 {
			title = "Add another saga?"
		}
		if err := w.run(huh.NewGroup(huh.NewConfirm().Title(title).Value(&more))); err != nil {
			return err
		}
		if !more {
			return nil
		}
		sys, _, err := Parse(a)
		if err != nil {
			return err
		}
		events, commands := sagaChoices(sys)
		if len(events) == 0 || len(commands) == 0 {
			fmt.Fprintln(w.out(), "A saga needs an event to start it and commands to call; add them to a service first.")
			return nil
		}
		idx := len(a.Sagas)
		sg := Saga{Name: fmt.Sprintf("saga%d", idx+1), Orchestrator: sys.Services[0].Name, Trigger: events[0]}
		if idx == 0 {
			sg.Name = "fulfilment"
		}
		if err := w.saga(&sg, idx); err != nil {
			return err
		}
		a.Sagas = append(a.Sagas, sg)
	}
}

// sagaChoices lists the events that can start a saga and the commands it
// can call, as "service.Name".
func sagaChoices(sys *model.System) (events, commands []string) {
	for _, s := range sys.Services {
		for _, ev := range s.Events {
			events = append(events, s.Name+"."+ev.Name)
		}
		for _, c := range s.Commands {
			commands = append(commands, s.Name+"."+c.Name)
		}
	}
	return events, commands
}

// withSaga returns the answers with sg as saga idx: in its place, or
// appended when idx is past the last.
func withSaga(a *Answers, idx int, sg Saga) *Answers {
	c := *a
	c.Sagas = append([]Saga{}, a.Sagas...)
	if idx < len(c.Sagas) {
		c.Sagas[idx] = sg
	} else {
		c.Sagas = append(c.Sagas, sg)
	}
	return &c
}

// Ways a saga runs, as offered.
const (
	orchestrated = "orchestrated"
	choreography = "choreography"
)

// saga asks the questions of saga idx, starting from the answers in sg:
// its name, how it runs, its trigger, then its steps one at a time, in the
// order they are picked, and what to call when it fails.
func (w *wizard) saga(sg *Saga, idx int) error {
	a := w.a
	sys, _, err := Parse(a)
	if err != nil {
		return err
	}
	events, commands := sagaChoices(sys)
	chk := func(key string, mut func(*Saga)) error {
		cs := *sg
		cs.Steps = append([]Step{}, sg.Steps...)
		if len(cs.Steps) == 0 {
			cs.Steps = []Step{{Call: commands[0]}}
		}
		mut(&cs)
		return check(withSaga(a, idx, cs), fmt.Sprintf("sagas.%d.%s", idx, key))
	}
	mode := orchestrated
	if sg.Choreography {
		mode = choreography
	}
	if err := w.run(huh.NewGroup(
		huh.NewInput().Title(w.titled("Saga name", &sg.Name)).Value(&sg.Name).Validate(w.kept(&sg.Name, func(v string) error {
			return chk("name", func(s *Saga) { s.Name = v })
		})),
		huh.NewSelect[string]().Title("How it runs").Options(
			huh.NewOption("orchestrated — one service calls each step and undoes the done ones", orchestrated),
			huh.NewOption("choreographed — each step reacts to the event of the one before", choreography)).Value(&mode),
		huh.NewSelect[string]().Title("Started by the event").Options(huh.NewOptions(events...)...).Value(&sg.Trigger),
	).Title("Saga")); err != nil {
		return err
	}
	sg.Choreography = mode == choreography
	if sg.Choreography {
		sg.Orchestrator = ""
	} else {
		if sg.Orchestrator == "" {
			sg.Orchestrator = a.Services[0].Name
		}
		if err := w.run(huh.NewGroup(huh.NewSelect[string]().Title("Orchestrator").Description("the service that runs the saga").
			Options(huh.NewOptions(serviceNamesOf(a.Services)...)...).Value(&sg.Orchestrator).Validate(func(v string) error {
			return chk("orchestrator", func(s *Saga) { s.Orchestrator = v })
		}))); err != nil {
			return err
		}
	}
	trigger := eventOf(sys, sg.Trigger)
	const done = "(no more steps)"
	none := "(none)"
	before := sg.Steps
	sg.Steps = nil
	// offered is step j calling call as first offered: as it was, or with
	// its inputs bound to the trigger's fields.
	var j int
	offered := func(call string) Step {
		if j < len(before) && before[j].Call == call {
			return before[j]
		}
		return Step{Call: call, With: defaultWith(sys, call, trigger)}
	}
	for j = 0; ; j++ {
		call := done
		if j < len(before) {
			call = before[j].Call
		} else if j == 0 {
			call = commands[0]
		}
		opts := commands
		desc := "the command this step calls"
		if sg.Choreography {
			desc = "the command that runs when the step before emits its event (the first: the trigger)"
		}
		if j > 0 {
			opts = append([]string{done}, commands...)
		}
		if err := w.run(huh.NewGroup(huh.NewSelect[string]().Title(fmt.Sprintf("Step %d of %s", j+1, sg.Name)).Description(desc).
			Options(huh.NewOptions(opts...)...).Value(&call).Validate(func(v string) error {
			if v == done {
				return nil
			}
			return chk(fmt.Sprintf("steps.%d", j), func(s *Saga) { s.Steps = append(append([]Step{}, sg.Steps...), offered(v)) })
		}))); err != nil {
			return err
		}
		if call == done {
			break
		}
		st := offered(call)
		comp := none
		if st.Compensate != "" {
			comp = st.Compensate
		}
		sg.Steps = append(sg.Steps, st)
		cur := &sg.Steps[j]
		if err := w.run(huh.NewGroup(
			huh.NewInput().Title(w.titled("Inputs of "+call, &cur.With)).
				Description("with: input field: trigger field, saga.id or saga.error; fields named like the trigger's are passed as they are").
				Value(&cur.With).Validate(w.kept(&cur.With, func(v string) error {
				return chk(fmt.Sprintf("steps.%d", j), func(s *Saga) { s.Steps[j].With = v })
			})),
			huh.NewSelect[string]().Title("Undo "+call+" with").Description("called when a later step fails").
				Options(huh.NewOptions(append([]string{none}, commands...)...)...).Value(&comp).
				Validate(func(v string) error {
					if v == none {
						v = ""
					}
					return chk(fmt.Sprintf("steps.%d", j), func(s *Saga) { s.Steps[j].Compensate = v })
				}),
		).Title(fmt.Sprintf("Step %d of %s", j+1, sg.Name))); err != nil {
			return err
		}
		if comp == none {
			comp = ""
		}
		if comp != cur.Compensate {
			cur.CompensateWith = ""
		}
		cur.Compensate = comp
	}
	onFailure := none
	if sg.OnFailure != "" {
		onFailure = sg.OnFailure
	}
	if err := w.run(huh.NewGroup(huh.NewSelect[string]().Title("When " + sg.Name + " fails, call").
		Options(huh.NewOptions(append([]string{none}, commands...)...)...).Value(&onFailure))); err != nil {
		return err
	}
	if onFailure == none {
		sg.OnFailure, sg.OnFailureIn = "", ""
		return nil
	}
	if onFailure != sg.OnFailure {
		sg.OnFailure, sg.OnFailureIn = onFailure, defaultWith(sys, onFailure, trigger)
	}
	return w.run(huh.NewGroup(huh.NewInput().Title(w.titled("Inputs of "+onFailure, &sg.OnFailureIn)).Value(&sg.OnFailureIn).Validate(w.kept(&sg.OnFailureIn, func(v string) error {
		return chk("on_failure", func(s *Saga) { s.OnFailureIn = v })
	}))))
}

// deploy asks for the Kubernetes namespace, autoscaling and CI.
func (w *wizard) deploy() error {
	a := w.a
	if !a.Editing() {
		a.Deploy = DefaultDeploy(a.Name)
	}
	d := &a.Deploy
	chk := func(key string, mut func(*Deploy, string) error) func(string) error {
		return func(v string) error {
			c := *a
			cd := *d
			if err := mut(&cd, v); err != nil {
				return err
			}
			c.Deploy = cd
			return check(&c, key)
		}
	}
	ci := d.CI
	if err := w.run(huh.NewGroup(
		huh.NewInput().Title(w.titled("Kubernetes namespace", &d.Namespace)).Description("empty: no Kubernetes manifests").Value(&d.Namespace).Validate(w.kept(&d.Namespace, chk("deploy.namespace", func(d *Deploy, v string) error { d.Namespace = v; return nil }))),
		huh.NewConfirm().Title("Autoscale the services on CPU?").Value(&d.Autoscaling),
		huh.NewSelect[string]().Title("CI").Options(
			huh.NewOption("GitHub Actions", "github"), huh.NewOption("GitLab CI", "gitlab"), huh.NewOption("none", "none")).Value(&ci),
	).Title("Deployment")); err != nil {
		return err
	}
	if ci == "none" {
		ci = ""
	}
	d.CI = ci
	if !d.Autoscaling {
		return nil
	}
	num := func(dst *int) func(*Deploy, string) error {
		return func(cd *Deploy, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			switch dst {
			case &d.Min:
				cd.Min = n
			case &d.Max:
				cd.Max = n
			default:
				cd.CPUPercent = n
			}
			return nil
		}
	}
	min, max, cpu := strconv.Itoa(d.Min), strconv.Itoa(d.Max), strconv.Itoa(d.CPUPercent)
	if err := w.run(huh.NewGroup(
		huh.NewInput().Title(w.titled("Minimum replicas", &min)).Value(&min).Validate(w.kept(&min, chk("deploy.autoscaling", num(&d.Min)))),
		huh.NewInput().Title(w.titled("Maximum replicas", &max)).Value(&max).Validate(w.kept(&max, chk("deploy.autoscaling", num(&d.Max)))),
		huh.NewInput().Title(w.titled("Target CPU %", &cpu)).Value(&cpu).Validate(w.kept(&cpu, chk("deploy.autoscaling", num(&d.CPUPercent)))),
	).Title("Autoscaling")); err != nil {
		return err
	}
	d.Min, _ = strconv.Atoi(strings.TrimSpace(min))
	d.Max, _ = strconv.Atoi(strings.TrimSpace(max))
	d.CPUPercent, _ = strconv.Atoi(strings.TrimSpace(cpu))
	return nil
}

// AskService asks for one service to add to the blueprint src, starting
// from preset (its empty fields get defaults), and returns the service's
// entry lines for blueprint.InsertService.
func AskService(ctx context.Context, opts Options, src []byte, preset Service) ([]string, error) {
	base, err := blueprint.Parse(BlueprintFile, src)
	if err != nil {
		return nil, err
	}
	var taken []string
	for _, s := range base.Services {
		taken = append(taken, s.Name)
	}
	s := DefaultService(taken)
	if preset.Name != "" {
		s.Name = preset.Name
		s.Description = defaultDescription(preset.Name)
		s.FillAPI()
	}
	if preset.Description != "" {
		s.Description = preset.Description
	}
	if preset.Store != "" {
		s.Store = preset.Store
	}
	w := &wizard{ctx: ctx, opts: opts, a: &Answers{Base: src}}
	if err := w.service(&s, 0); err != nil {
		return nil, err
	}
	return ServiceEntry(s), nil
}

// ServiceEntry is a service as the block lines blueprint.InsertService
// takes.
func ServiceEntry(s Service) []string {
	e := &emitter{spans: map[string]span{}}
	e.service(s)
	return e.lines
}

// eventOf finds the event "service.Event".
func eventOf(sys *model.System, ref string) *model.Message {
	svc, name, _ := strings.Cut(ref, ".")
	for _, s := range sys.Services {
		if s.Name != svc {
			continue
		}
		for _, ev := range s.Events {
			if ev.Name == name {
				return ev
			}
		}
	}
	return nil
}

// defaultWith binds the inputs of command "service.Command" the trigger
// does not provide by name: to a trigger field of the same type, else a
// string to the saga's id.
func defaultWith(sys *model.System, ref string, trigger *model.Message) string {
	svc, name, _ := strings.Cut(ref, ".")
	var cmd *model.Command
	for _, s := range sys.Services {
		for _, c := range s.Commands {
			if s.Name == svc && c.Name == name {
				cmd = c
			}
		}
	}
	if cmd == nil || trigger == nil {
		return ""
	}
	var with []string
	for _, in := range cmd.Input.Fields {
		if tf := trigger.Field(in.Name); tf != nil && model.SameType(in.Type, tf.Type) {
			continue
		}
		src := ""
		for _, tf := range trigger.Fields {
			if model.SameType(in.Type, tf.Type) {
				src = tf.Name
				break
			}
		}
		if src == "" && in.Type.Kind == model.ScalarType && in.Type.Scalar == model.String {
			src = "saga.id"
		}
		if src != "" {
			with = append(with, in.Name+": "+src)
		}
	}
	return strings.Join(with, ", ")
}

// splitList splits a comma-separated answer.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// kept makes a validator see the offered answer when the user just presses
// Enter in accessible mode: huh validates the empty line there before it
// falls back to the value offered.
func (w *wizard) kept(p *string, fn func(string) error) func(string) error {
	return func(v string) error {
		if w.opts.Accessible && strings.TrimSpace(v) == "" {
			v = *p
		}
		return fn(v)
	}
}

// titled adds the offered answer to a question's title in accessible mode,
// where the field does not show it.
func (w *wizard) titled(title string, p *string) string {
	if w.opts.Accessible && *p != "" {
		return title + " (Enter keeps " + strings.ReplaceAll(*p, "\n", "; ") + ")"
	}
	return title
}
