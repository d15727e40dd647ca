// Package wizard asks for a new system in the terminal (charmbracelet/huh
// forms) and writes the answers as a blueprint: commented YAML that parses to
// the same model as the same blueprint written by hand. Every answer is
// checked as it is typed by parsing a candidate blueprint with
// internal/blueprint, so the messages are those of `microforge validate`.
//
// The package never writes files: it returns the blueprint text, and the CLI
// writes it and generates the repository after the user confirmed.
package wizard

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/microforge/microforge/blueprints"
	"github.com/microforge/microforge/internal/model"
)

// Starters offered by the wizard: "empty" asks for every service; the others
// are the shipped blueprints of that name.
var Starters = []string{"empty", "shop", "minimal"}

// Answers is everything the wizard asks, as plain values. A zero Gateway,
// Auth or Deploy leaves that section out.
type Answers struct {
	Name        string
	Module      string
	Description string

	// Base, when set, is the text of a blueprint the answers extend (a
	// starter, or the blueprint `add service` edits): name and module are
	// replaced in it and Services are appended to its services list; the
	// other sections below are not used.
	Base []byte

	// edit, when set, is the blueprint these answers edit (see Load):
	// the answers are written onto it, changing only what they change.
	edit *editBase

	Services []Service
	Sagas    []Saga
	Gateway  *Gateway
	Auth     *Auth
	Deploy   Deploy
}

// Service is one service. Types, Entities, Commands, Queries and Events
// hold one blueprint entry per line, in the blueprint's own flow syntax,
// e.g. "PlaceOrder: {input: {customer_id: string}, emits: [OrderPlaced]}".
type Service struct {
	Name        string
	Description string
	Store       string
	Patterns    []string
	Types       string
	Entities    string
	Commands    string
	Queries     string
	Events      string
	Calls       []string // services
	Consumes    []string // "service.Event"
}

// Owner is an entity's owner rule, as the entity's line in Service.Entities
// writes it: owner: {field: customer_id, claim: sub, admin_roles: [admin]}.
type Owner struct {
	Field      string
	Claim      string // "": not written, the default (sub)
	AdminRoles []string
}

// Saga is a saga: orchestrated by a service, or choreographed (each step
// reacts to the event of the one before).
type Saga struct {
	Name         string
	Orchestrator string // "" when Choreography
	Choreography bool
	Trigger      string // "service.Event"
	Steps        []Step
	OnFailure    string // "service.Command" or ""
	OnFailureIn  string // with: mapping of on_failure, flow inside, e.g. "reason: saga.error"
}

// Step is one saga step.
type Step struct {
	Call       string // "service.Command"
	With       string // flow inside of with:, e.g. "amount_cents: total_cents"
	Compensate string // "service.Command" or ""
	// CompensateWith is the flow inside of compensate_with:.
	CompensateWith string
}

// Gateway is the API gateway, its limits and its routes.
type Gateway struct {
	Port      int
	RateLimit *RateLimit // nil: none
	CORS      []string   // allowed origins; none: no CORS
	Routes    []Route
}

// RateLimit is the gateway's per-client rate limit.
type RateLimit struct {
	RequestsPerSecond float64
	Burst             int // 0: the blueprint's default
}

// Route routes one service.
type Route struct {
	Service string
	Methods []string // none: every method
	Auth    string   // "required" or "none"
	Roles   []string
}

// Auth is the JWT configuration.
type Auth struct {
	Issuer   string
	Audience string
	JWKSURL  string
}

// Deploy holds deployment and CI settings.
type Deploy struct {
	Namespace   string // "" leaves kubernetes out
	Replicas    int
	Autoscaling bool
	Min, Max    int
	CPUPercent  int
	CI          string // "github", "gitlab" or ""
}

// DefaultName derives a system name from a directory.
func DefaultName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	base := strings.ToLower(filepath.Base(abs))
	base = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(base, "_")
	base = strings.Trim(base, "_")
	for len(base) > 0 && base[0] >= '0' && base[0] <= '9' {
		base = base[1:]
	}
	if base == "" {
		return "app"
	}
	return base
}

// DefaultModule is the module path offered for a system.
func DefaultModule(name string) string {
	return "example.com/" + strings.ReplaceAll(name, "_", "-")
}

// StarterText returns the shipped blueprint of a starter ("shop",
// "minimal").
func StarterText(name string) ([]byte, error) {
	b, err := fs.ReadFile(blueprints.FS, name+".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown starter %q (choose %s)", name, strings.Join(Starters, ", "))
	}
	return b, nil
}

// serviceNames are offered, in order, as the name of the next service.
var serviceNames = []string{"catalog", "orders", "payments", "shipping", "accounts", "reviews"}

// DefaultService returns a working service that does not clash with the
// services already named in taken.
func DefaultService(taken []string) Service {
	used := map[string]bool{}
	for _, t := range taken {
		used[t] = true
	}
	name := ""
	for _, n := range serviceNames {
		if !used[n] {
			name = n
			break
		}
	}
	for i := 2; name == ""; i++ {
		if n := fmt.Sprintf("service%d", i); !used[n] {
			name = n
		}
	}
	s := Service{Name: name, Description: defaultDescription(name), Store: "sqlite"}
	s.FillAPI()
	return s
}

// FillAPI sets the service's entity, commands, queries and events to a
// small working API named after the service: an entity, a command creating
// it and emitting an event, and a query reading it.
func (s *Service) FillAPI() {
	e := EntityName(s.Name)
	id := model.Snake(e) + "_id"
	s.Entities = e + ": {name: string}"
	s.Commands = fmt.Sprintf("Create%s: {input: {name: string}, emits: [%sCreated]}", e, e)
	s.Queries = fmt.Sprintf("Get%s: {input: {%s: string}, output: %s}", e, id, e)
	s.Events = fmt.Sprintf("%sCreated: {%s: string, name: string}", e, id)
}

// EntityName is the entity offered for a service: its name in PascalCase,
// in the singular ("orders" → "Order").
func EntityName(service string) string {
	words := strings.Split(service, "_")
	last := words[len(words)-1]
	switch {
	case strings.HasSuffix(last, "ies") && len(last) > 4:
		last = strings.TrimSuffix(last, "ies") + "y"
	case strings.HasSuffix(last, "ss"):
	case strings.HasSuffix(last, "s") && len(last) > 3:
		last = strings.TrimSuffix(last, "s")
	}
	words[len(words)-1] = last
	return model.GoCamelCase(strings.Join(words, "_"))
}

// Defaults returns the answers of a user who presses Enter at every
// question: one service behind a gateway with JWT auth, Kubernetes with
// autoscaling, GitHub Actions.
func Defaults(name string) *Answers {
	a := &Answers{Name: name, Module: DefaultModule(name), Description: "The " + strings.ReplaceAll(name, "_", " ") + " system."}
	a.Services = []Service{DefaultService(nil)}
	a.SetDefaultGateway()
	a.Auth = DefaultAuth(name)
	a.Deploy = DefaultDeploy(name)
	return a
}

// SetDefaultGateway routes every service, all methods, with auth required.
func (a *Answers) SetDefaultGateway() {
	a.Gateway = &Gateway{Port: 8080}
	for _, s := range a.Services {
		a.Gateway.Routes = append(a.Gateway.Routes, Route{Service: s.Name, Auth: "required"})
	}
}

// DefaultAuth is the JWT configuration offered for a system.
func DefaultAuth(name string) *Auth {
	return &Auth{Issuer: "https://auth.example.com/", Audience: name, JWKSURL: "https://auth.example.com/.well-known/jwks.json"}
}

// DefaultDeploy is the deployment offered for a system.
func DefaultDeploy(name string) Deploy {
	return Deploy{Namespace: strings.ReplaceAll(name, "_", "-"), Replicas: 2, Autoscaling: true, Min: 2, Max: 10, CPUPercent: 70, CI: "github"}
}

// serviceNamesOf lists the names of services.
func serviceNamesOf(ss []Service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// defaultDescription is the description offered for a service.
func defaultDescription(service string) string {
	return "The " + strings.ReplaceAll(service, "_", " ") + " service."
}
