package wizard

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/microforge/microforge/internal/blueprint"
	"github.com/microforge/microforge/internal/model"
)

// BlueprintFile is the name diagnostics of the answers carry.
const BlueprintFile = "microforge.yaml"

// Parse emits the answers and parses the blueprint, returning the model.
// Mistakes are blueprint.Diagnostics, as from `microforge validate`.
func Parse(a *Answers) (*model.System, []byte, error) {
	text, err := Emit(a)
	if err != nil {
		return nil, nil, err
	}
	sys, err := blueprint.Parse(BlueprintFile, text)
	return sys, text, err
}

// check parses the answers and returns, as one error, the problems the
// validator finds in the answer named key; nil when there are none. The
// messages are the validator's, without the file position (a line number
// within a multi-line answer instead).
func check(a *Answers, key string) error {
	return checkKeys(a, func(k string) bool { return k == key }, false)
}

// checkKeys is check for every answer whose key matches; with named, each
// message starts with the answer's name ("commands: ...").
func checkKeys(a *Answers, match func(string) bool, named bool) error {
	text, spans, lines, err := emit(a)
	if err != nil {
		return err
	}
	_, err = blueprint.Parse(BlueprintFile, text)
	var diags blueprint.Diagnostics
	if !errors.As(err, &diags) {
		return err // nil, or an internal error
	}
	keys := make([]string, 0, len(spans))
	for k := range spans {
		if match(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var msgs []string
	for _, d := range diags {
		msg := d.Msg
		if d.Hint != "" {
			msg += " (hint: " + d.Hint + ")"
		}
		found := false
		line := d.Line
		if lines != nil && line < len(lines) {
			line = lines[line] // edited: the line of the answers written alone
		}
		for _, k := range keys {
			sp := spans[k]
			if line < sp.first || line > sp.last {
				continue
			}
			found = true
			if sp.lines != nil {
				if n := sp.lines[line-sp.first]; n > 0 {
					msg = fmt.Sprintf("line %d: %s", n, msg)
				}
			}
			if named {
				msg = k[strings.LastIndex(k, ".")+1:] + ": " + msg
			}
		}
		// The other answers were valid: a YAML syntax error, reported where
		// the parser noticed it, is this answer's.
		if found || len(keys) > 0 && strings.HasPrefix(d.Msg, "invalid YAML") {
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}
