package wizard

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/microforge/microforge/internal/blueprint"
)

// owned are the answers of a system whose orders belong to customers and
// whose reviews belong to their authors, bound to another claim.
func owned() *Answers {
	a := &Answers{Name: "bazaar", Module: "example.com/bazaar", Description: "Orders and reviews of their users."}
	orders := Service{Name: "orders", Store: "sqlite",
		Entities: "Order: {owner: {field: customer_id, admin_roles: [support]}, customer_id: string, item: string}",
		Commands: "PlaceOrder: {input: {customer_id: string, item: string}, emits: [OrderPlaced]}",
		Queries:  "GetOrder: {input: {order_id: string}, output: Order}\nListOrders: {input: {}, output: list<Order>}",
		Events:   "OrderPlaced: {order_id: string, customer_id: string, item: string}"}
	reviews := Service{Name: "reviews", Store: "sqlite",
		Entities: "Review: {owner: {field: author, claim: email}, author: string, stars: int32}",
		Commands: "WriteReview: {input: {author: string, stars: int32}}",
		Queries:  "GetReview: {input: {review_id: string}, output: Review}"}
	a.Services = []Service{orders, reviews}
	a.Gateway = &Gateway{Port: 8080, Routes: []Route{
		{Service: "orders", Auth: "required", Roles: []string{"customer", "support"}},
		{Service: "reviews", Auth: "required"}}}
	a.Auth = DefaultAuth("bazaar")
	return a
}

// TestEntityOwner: an owner rule is added first among the entity's keys,
// read back, changed, kept as written when unchanged and removed, the
// rest of the entity and the other lines kept; a field named owner stays
// a field.
func TestEntityOwner(t *testing.T) {
	entities := "Order: {customer_id: string, status: enum(open, shut)}\nNote: {text: string}"
	steps := []struct {
		rule *Owner
		want string
	}{
		{&Owner{Field: "customer_id"}, "Order: {owner: {field: customer_id}, customer_id: string, status: enum(open, shut)}"},
		{&Owner{Field: "customer_id", Claim: "org", AdminRoles: []string{"admin", "support"}},
			"Order: {owner: {field: customer_id, claim: org, admin_roles: [admin, support]}, customer_id: string, status: enum(open, shut)}"},
		{&Owner{Field: "customer_id", Claim: "sub"}, "Order: {owner: {field: customer_id, claim: sub}, customer_id: string, status: enum(open, shut)}"},
		{nil, "Order: {customer_id: string, status: enum(open, shut)}"},
	}
	for _, st := range steps {
		out, err := withEntityOwner(entities, "Order", st.rule)
		if err != nil {
			t.Fatalf("%+v: %v", st.rule, err)
		}
		lines := strings.Split(out, "\n")
		if lines[0] != st.want || lines[1] != "Note: {text: string}" {
			t.Fatalf("%+v:\n%s\nwant first line\n%s", st.rule, out, st.want)
		}
		got := entityOwner(out, "Order")
		if (got == nil) != (st.rule == nil) || got != nil && (got.Field != st.rule.Field || got.Claim != st.rule.Claim || !slices.Equal(got.AdminRoles, st.rule.AdminRoles)) {
			t.Errorf("read back %+v, want %+v", got, st.rule)
		}
		entities = out
	}
	// Written in another order, an unchanged rule keeps its text.
	same := "Order: {owner: {admin_roles: [admin], field: customer_id}, customer_id: string}"
	if out, err := withEntityOwner(same, "Order", &Owner{Field: "customer_id", AdminRoles: []string{"admin"}}); err != nil || out != same {
		t.Errorf("an unchanged rule was rewritten: %q %v", out, err)
	}
	field := "Order: {owner: string, total: int64}"
	if o := entityOwner(field, "Order"); o != nil {
		t.Errorf("a field named owner is read as a rule: %+v", o)
	}
	if o := entityOwner("Order: {owner: {type: string}}", "Order"); o != nil {
		t.Errorf("a field named owner, mapping form, is read as a rule: %+v", o)
	}
	if _, err := withEntityOwner(field, "Order", &Owner{Field: "owner"}); err == nil {
		t.Errorf("a rule replaced the field named owner")
	}
}

// TestOwnedAnswers: owner rules in the answers mean what was answered,
// and an owner rule's problems are the validator's, reported at the
// answer they are in: the entities, or the commands that defeat the rule.
func TestOwnedAnswers(t *testing.T) {
	sys, text, err := Parse(owned())
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	o := sys.Service("orders").Entity("Order").Owner
	if o == nil || o.Field.Name != "customer_id" || o.Claim != "sub" || strings.Join(o.AdminRoles, ",") != "support" {
		t.Errorf("Order's owner rule: %+v", o)
	}
	if r := sys.Service("reviews").Entity("Review").Owner; r == nil || r.Field.Name != "author" || r.Claim != "email" || r.AdminRoles != nil {
		t.Errorf("Review's owner rule: %+v", r)
	}
	for _, tc := range []struct {
		name string
		rule Owner
		want string
	}{
		{"claim", Owner{Field: "customer_id", Claim: "exp"}, `entities: line 1: owner claim "exp" of Order is the token's expiry, which names no user (hint: name the verified token claim holding the owner's id, such as sub (the default))`},
		{"role", Owner{Field: "customer_id", AdminRoles: []string{"boss"}}, `entities: line 1: admin role "boss" reaches no route of service orders (hint: add boss to the roles of a route to orders: the gateway lets only the roles a route lists in)`},
		{"field", Owner{Field: "item"}, `commands: line 1: `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := withOwner(owned(), 0, "Order", &tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "field" {
				// Owned by item, PlaceOrder still creates it with one: fine.
				if err := checkService(a, 0); err != nil {
					t.Fatalf("owned by item: %v", err)
				}
				a.Services[0].Commands = "PlaceOrder: {input: {customer_id: string}, emits: [OrderPlaced]}"
				tc.want += "PlaceOrder creates an Order without its owner: its input has no item (hint: add item: string to its input: left empty by a user, it is filled from the caller's sub claim)"
			}
			if err := checkService(a, 0); err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
			if err := checkService(a, 1); err != nil {
				t.Errorf("a problem of orders is reported at reviews: %v", err)
			}
		})
	}
	// Without auth, nothing is owned.
	a := owned()
	a.Gateway, a.Auth = nil, nil
	if err := checkService(a, 1); err == nil || !strings.Contains(err.Error(), "entities: line 1: Review has an owner rule, but the blueprint has no auth section") {
		t.Errorf("owner rule without auth: %v", err)
	}
}

// TestOwnables: the entities offered are those with a string field or a
// rule, each offered with its rule or, without one, with its first field
// named like an id.
func TestOwnables(t *testing.T) {
	a := owned()
	a.Services[0].Entities += "\nTally: {count: int64}\nParcel: {label: string, sender_id: string}"
	a.Services[0].Queries += "\nGetTally: {input: {tally_id: string}, output: Tally}\nGetParcel: {input: {parcel_id: string}, output: Parcel}"
	sys, text, err := Parse(a)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	var got []string
	for _, o := range ownables(a, sys) {
		r := offeredOwner(o)
		got = append(got, o.key(a)+" "+strings.Join(o.strings, "|")+" -> "+r.Field+"/"+r.Claim+"/"+strings.Join(r.AdminRoles, "|"))
	}
	want := []string{"orders.Order customer_id|item -> customer_id//support", "orders.Parcel label|sender_id -> sender_id//", "reviews.Review author -> author/email/"}
	if !slices.Equal(got, want) {
		t.Errorf("offered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEditOwner: the owner rules of a blueprint are read into the answers;
// changing one rewrites its owner: line only, removing one deletes that
// line, and adding one inserts it first in the entity.
func TestEditOwner(t *testing.T) {
	read := func(name string) ([]byte, *Answers) {
		t.Helper()
		src, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		a, err := Load(name, src)
		if err != nil {
			t.Fatal(err)
		}
		return src, a
	}
	src, a := read("blueprints/shop.yaml")
	if o := entityOwner(a.Services[0].Entities, "Order"); o == nil || o.Field != "customer_id" || o.Claim != "sub" || strings.Join(o.AdminRoles, ",") != "admin" {
		t.Fatalf("shop's Order: %+v", o)
	}
	edit := func(a *Answers, idx int, entity string, o *Owner) string {
		t.Helper()
		c, err := withOwner(a, idx, entity, o)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Emit(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := blueprint.Parse("edited.yaml", out); err != nil {
			t.Fatalf("the edited blueprint: %v\n%s", err, out)
		}
		return string(out)
	}
	const shopRule = "        owner: {field: customer_id, claim: sub, admin_roles: [admin]}\n"
	if !strings.Contains(string(src), shopRule) {
		t.Fatalf("the shop has no line %q", shopRule)
	}
	for _, tc := range []struct {
		rule *Owner
		line string
	}{
		{&Owner{Field: "customer_id", Claim: "sub", AdminRoles: []string{"admin", "customer"}}, "        owner: {field: customer_id, claim: sub, admin_roles: [admin, customer]}\n"},
		{&Owner{Field: "customer_id", Claim: "sub"}, "        owner: {field: customer_id, claim: sub}\n"},
		{nil, ""},
	} {
		want := strings.Replace(string(src), shopRule, tc.line, 1)
		if got := edit(a, 0, "Order", tc.rule); got != want {
			t.Errorf("%+v:\n%s", tc.rule, diffText(want, got))
		}
	}

	src, a = read("testdata/blueprints/owned.yaml")
	if o := entityOwner(a.Services[0].Entities, "Board"); o == nil || o.Field != "org" || o.Claim != "org" || strings.Join(o.AdminRoles, ",") != "support" {
		t.Errorf("owned's Board: %+v", o)
	}
	if o := entityOwner(a.Services[1].Entities, "Note"); o == nil || o.Field != "author" || o.Claim != "" || o.AdminRoles != nil {
		t.Errorf("owned's Note: %+v", o)
	}
	want := strings.Replace(string(src), "        owner: {field: author}\n", "        owner: {field: author, claim: uid}\n", 1)
	if got := edit(a, 1, "Note", &Owner{Field: "author", Claim: "uid"}); got != want {
		t.Errorf("Note's claim:\n%s", diffText(want, got))
	}

	// A rule added to an entity written in block style goes first in it.
	src, a = read("blueprints/shop.yaml")
	a, err := withOwner(a, 0, "Order", nil)
	if err != nil {
		t.Fatal(err)
	}
	base, err := Emit(a)
	if err != nil {
		t.Fatal(err)
	}
	if a, err = Load("shop.yaml", base); err != nil {
		t.Fatal(err)
	}
	if got := edit(a, 0, "Order", &Owner{Field: "customer_id", Claim: "sub", AdminRoles: []string{"admin"}}); got != string(src) {
		t.Errorf("the rule added back:\n%s", diffText(string(src), got))
	}
}
