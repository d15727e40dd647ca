package model_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

// effectsBlueprint has one command per way of deciding what a command sets.
const effectsBlueprint = `version: 1
name: post
module: example.com/post
services:
  - name: parcels
    patterns: [event-sourcing]
    entities:
      Parcel:
        weight_grams: int32
        fragile: bool
        note: string
        status: enum(registered, packed, shipped, out_for_delivery, delivery, cancelled)
    commands:
      RegisterParcel: {input: {weight_grams: int32}, emits: [ParcelRegistered]}
      PackParcel: {input: {parcel_id: string}, emits: [ParcelPacked]}
      LoadParcel: {input: {parcel_id: string}, sets: {status: packed, fragile: "True", weight_grams: "007", note: handle with care}, from: [registered], emits: [ParcelLoaded]}
      MarkShipped: {input: {parcel_id: string}, emits: [ParcelShipped]}
      MarkOutForDelivery: {input: {parcel_id: string}, emits: [ParcelOutForDelivery]}
      CancelParcel: {input: {parcel_id: string}, from: [registered, packed], emits: [ParcelShipped]}
      MarkDelivered: {input: {parcel_id: string}, sets: {}, emits: [ParcelDelivery]}
      ReturnParcel: {input: {parcel_id: string}, from: [shipped, cancelled]}
    events:
      ParcelRegistered: {parcel_id: string, weight_grams: int32}
      ParcelPacked: {parcel_id: string}
      ParcelLoaded: {parcel_id: string}
      ParcelShipped: {parcel_id: string}
      ParcelOutForDelivery: {parcel_id: string}
      ParcelDelivery: {parcel_id: string}
  - name: depots
    entities:
      Bay: {depot: string, status: enum(free, taken)}
    commands:
      TakeBay: {input: {depot: string}, sets: {status: taken}}
      FreeBay: {input: {depot: string}, sets: {status: free}}
`

// sets formats a command's decided fixed values and their source:
// "event: status=shipped".
func sets(c *model.Command) string {
	var parts []string
	for _, v := range c.Sets {
		parts = append(parts, v.Field.Name+"="+v.Text())
	}
	return fmt.Sprintf("%s: %s", c.SetsBy, strings.Join(parts, " "))
}

// What a command sets comes from sets: in the blueprint, else its verb, else
// the name of an event it emits; from: guards the enum field it sets.
func TestCommandEffects(t *testing.T) {
	sys, err := blueprint.Parse("post.yaml", []byte(effectsBlueprint))
	if err != nil {
		t.Fatal(err)
	}
	parcels := sys.Service("parcels")
	for _, tc := range []struct {
		command, want, from string
	}{
		{"RegisterParcel", "verb: status=registered", ""},
		{"PackParcel", "verb: status=packed", ""},
		// Declared, with literals in canonical form; it beats the verb.
		{"LoadParcel", `sets: status=packed fragile=true weight_grams=7 note="handle with care"`, "status: registered"},
		// The last step of a saga: the event's name sets the status.
		{"MarkShipped", "event: status=shipped", ""},
		// The longest value the event's name ends with wins.
		{"MarkOutForDelivery", "event: status=out_for_delivery", ""},
		// The verb beats the event's name; from: guards the inferred field.
		{"CancelParcel", "verb: status=cancelled", "status: registered packed"},
		// An empty sets: turns inference off.
		{"MarkDelivered", ": ", ""},
		// from: without a change guards the entity's only enum field.
		{"ReturnParcel", ": ", "status: shipped cancelled"},
	} {
		c := parcels.Command(tc.command)
		if got := sets(c); got != tc.want {
			t.Errorf("%s sets %q, want %q", tc.command, got, tc.want)
		}
		from := ""
		if g := c.From; g != nil {
			from = g.Field.Name + ":"
			for _, v := range g.Values {
				from += " " + v.Name
			}
		}
		if from != tc.from {
			t.Errorf("%s from %q, want %q", tc.command, from, tc.from)
		}
	}
	if c := parcels.Command("MarkShipped"); c.SetsEvent == nil || c.SetsEvent.Name != "ParcelShipped" || c.SetStatus == nil || c.SetStatus.Value.Name != "shipped" {
		t.Errorf("MarkShipped: event %v, status %+v", c.SetsEvent, c.SetStatus)
	}
	if c := parcels.Command("LoadParcel"); len(c.Assign) != 0 || c.SetStatus.Value.Name != "packed" {
		t.Errorf("LoadParcel assigns %v, status %+v", c.Assign, c.SetStatus)
	}

	// The event-sourced service folds each event with the change its
	// command makes, so a rebuilt entity agrees with what commands saw.
	folds := map[string]string{}
	for _, p := range parcels.Projections {
		var parts []string
		for _, v := range p.Sets {
			parts = append(parts, v.Field.Name+"="+v.Text())
		}
		folds[p.Event.Name] = strings.Join(parts, " ")
		if (p.SetStatus == nil) != (p.By.SetStatus == nil) || len(p.Sets) != len(p.By.Sets) {
			t.Errorf("%s folds %v, but %s sets %v", p.Event.Name, p.Sets, p.By.Name, p.By.Sets)
		}
	}
	for ev, want := range map[string]string{
		"ParcelLoaded":         `status=packed fragile=true weight_grams=7 note="handle with care"`,
		"ParcelShipped":        "status=shipped",
		"ParcelOutForDelivery": "status=out_for_delivery",
		"ParcelDelivery":       "",
	} {
		if got, ok := folds[ev]; !ok || got != want {
			t.Errorf("%s folds %q (%t), want %q", ev, got, ok, want)
		}
	}

	// An upsert creates what it does not find only when what it sets is
	// where a new entity starts.
	depots := sys.Service("depots")
	if c := depots.Command("FreeBay"); c.Mode != model.ModeUpsert || !c.CreateAllowed {
		t.Errorf("FreeBay: %s, creates %t", c.Mode, c.CreateAllowed)
	}
	if c := depots.Command("TakeBay"); c.Mode != model.ModeUpsert || c.CreateAllowed {
		t.Errorf("TakeBay: %s, creates %t", c.Mode, c.CreateAllowed)
	}
}

// The acceptance blueprint's choreographed saga: one step declares what it
// sets and where it starts from, the last one is set by its event's name.
func TestFulfilmentEffects(t *testing.T) {
	sys, err := blueprint.Load(filepath.Join("..", "..", "testdata", "blueprints", "fulfilment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	orders := sys.Service("orders")
	steps := sys.Sagas[0].Steps
	last := steps[len(steps)-1].Call.Command
	if last.Name != "MarkShipped" || last.SetsBy != model.SetsByEvent || last.SetStatus.Value.Name != "shipped" || last.From != nil {
		t.Errorf("last step %s sets %s (%s), from %v", last.Name, sets(last), last.SetsEvent.Name, last.From)
	}
	prepare := orders.Command("PrepareOrder")
	if prepare.SetsBy != model.SetsDeclared || prepare.SetStatus.Value.Name != "packed" ||
		prepare.From == nil || len(prepare.From.Values) != 1 || prepare.From.Values[0].Name != "placed" {
		t.Errorf("PrepareOrder sets %s from %+v", sets(prepare), prepare.From)
	}
	if cancel := orders.Command("CancelOrder"); cancel.SetsBy != model.SetsByVerb || cancel.From == nil || len(cancel.From.Values) != 2 {
		t.Errorf("CancelOrder sets %s from %+v", sets(cancel), cancel.From)
	}
	book := sys.Service("couriers").Command("BookCourier")
	if got := sets(book); got != `sets: status=booked carrier="acme" insured=true` {
		t.Errorf("BookCourier sets %s", got)
	}
}
