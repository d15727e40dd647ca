package blueprint

import (
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// This file reads and checks what a command says it does to its entity:
// the fields it sets (sets: {status: shipped}) and the states it may start
// from (from: [packed]). Which entity a command changes is decided by
// model.Compile, so the checks that need it run there (checker.effects).

// declaredEffects copies a command's sets: and from: into the model as
// written, reporting what needs no entity to be wrong.
func (b *builder) declaredEffects(c *model.Command, w commandWire) {
	if w.Sets.Set && !w.Sets.Bad {
		c.SetsDeclared = true
		for _, e := range w.Sets.Entries {
			if e.Value.Bad {
				continue
			}
			if strings.TrimSpace(e.Value.V) == "" {
				b.errorf(e.Key.Pos, "write the value it sets, such as status: shipped", "%s sets %s to nothing", c.Name, e.Key.V)
				continue
			}
			c.DeclaredSets = append(c.DeclaredSets, model.DeclaredValue{Field: e.Key.V, Value: e.Value.V})
		}
	}
	if !w.From.Set || w.From.Bad {
		return
	}
	if len(w.From.Items) == 0 {
		b.errorf(w.From.Pos, "list the states it may start from, such as [pending], or remove from", "from is empty")
		return
	}
	seen := map[string]bool{}
	for _, it := range w.From.Items {
		switch {
		case it.Bad:
		case strings.TrimSpace(it.V) == "":
			b.errorf(it.Pos, "", "from: empty entry")
		case seen[it.V]:
			b.errorf(it.Pos, "", "%s lists %q twice in from", c.Name, it.V)
		default:
			seen[it.V] = true
			c.DeclaredFrom = append(c.DeclaredFrom, it.V)
		}
	}
}
