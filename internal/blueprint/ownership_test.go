package blueprint

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/microforge/microforge/internal/model"
)

// An owner rule binds an entity's field to a claim, and Compile decides
// which inputs it checks, the claims the gateway forwards and the index
// lists select by.
func TestOwnerRules(t *testing.T) {
	sys, err := Load(filepath.Join("..", "..", "testdata", "blueprints", "owned.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sys.UserClaims, []string{"org"}) {
		t.Errorf("forwarded claims %v, want [org] (sub is always forwarded)", sys.UserClaims)
	}
	teams, notes := sys.Service("teams"), sys.Service("notes")
	board, note := teams.Entity("Board").Owner, notes.Entity("Note").Owner
	if board == nil || board.Field.Name != "org" || board.Claim != "org" || !slices.Equal(board.AdminRoles, []string{"support"}) || !board.Field.Indexed {
		t.Errorf("Board's rule %+v", board)
	}
	if note == nil || note.Field.Name != "author" || note.Claim != model.DefaultOwnerClaim || len(note.AdminRoles) != 0 || !note.Field.Indexed {
		t.Errorf("Note's rule %+v", note)
	}
	inputs := map[string]string{}
	for _, svc := range sys.Services {
		for _, c := range svc.Commands {
			if c.OwnerInput != nil {
				inputs[c.Name] = c.OwnerInput.Name
			}
		}
		for _, q := range svc.Queries {
			if q.OwnerFilter != nil {
				inputs[q.Name] = q.OwnerFilter.Name
			}
			if !q.OwnerChecked() {
				t.Errorf("%s reads an owned entity, unchecked", q.Name)
			}
		}
	}
	want := map[string]string{"OpenBoard": "org", "TagBoard": "org", "AddNote": "author", "GiveNote": "author", "NotesBy": "author"}
	if len(inputs) != len(want) {
		t.Errorf("owner inputs %v, want %v", inputs, want)
	}
	for m, f := range want {
		if inputs[m] != f {
			t.Errorf("owner input of %s: %q, want %q", m, inputs[m], f)
		}
	}
	// Without a rule, nothing is owned; a field named owner stays a field.
	plain, err := Parse("plain.yaml", []byte(`version: 1
name: plain
module: example.com/plain
services:
  - name: docs
    entities:
      Doc: {owner: string, title: {type: string}}
      Page: {owner: {type: string}}
    commands:
      AddDoc: {input: {owner: string, title: string}}
    queries:
      DocsOf: {input: {owner: string}, output: list<Doc>}
`))
	if err != nil {
		t.Fatal(err)
	}
	docs := plain.Service("docs")
	if docs.Entity("Doc").Owner != nil || docs.Entity("Doc").Message.Field("owner") == nil || docs.Entity("Page").Message.Field("owner") == nil {
		t.Error("a field named owner became a rule")
	}
	if len(docs.Owned()) != 0 || docs.Command("AddDoc").OwnerInput != nil || docs.Query("DocsOf").OwnerFilter != nil || len(plain.UserClaims) != 0 {
		t.Error("ownership without an owner rule")
	}
}
