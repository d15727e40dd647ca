// Package testblueprint builds blueprints for benchmarks and tests: a
// synthetic system of any size, so every measurement uses the same shape.
package testblueprint

import (
	"fmt"
	"strings"
)

// Synthetic describes n services in a chain: each has an entity,
// three commands, two queries and three events, calls the next service and
// consumes the previous one's first event.
func Synthetic(n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: synth\nmodule: example.com/synth\ndescription: %d generated services.\nservices:\n", n)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  - name: svc%[1]d
    store: %[2]s
    types:
      Detail%[1]d: {label: string, weight: double}
    entities:
      Thing%[1]d: {owner: string, count: int64, details: list<Detail%[1]d>, state: enum(open, closed)}
    commands:
      CreateThing%[1]d: {input: {owner: string, details: list<Detail%[1]d>}, emits: [ThingCreated%[1]d]}
      CloseThing%[1]d: {input: {thing%[1]d_id: string}, emits: [ThingClosed%[1]d]}
      CountThing%[1]d: {input: {thing%[1]d_id: string, count: int64}, emits: [ThingCounted%[1]d]}
    queries:
      GetThing%[1]d: {input: {thing%[1]d_id: string}, output: Thing%[1]d}
      ListThing%[1]d: {input: {owner: string}, output: list<Thing%[1]d>}
    events:
      ThingCreated%[1]d: {thing%[1]d_id: string, owner: string}
      ThingClosed%[1]d: {thing%[1]d_id: string}
      ThingCounted%[1]d: {thing%[1]d_id: string, count: int64}
`, i, []string{"postgres", "mysql", "sqlite"}[i%3])
		if i+1 < n {
			fmt.Fprintf(&b, "    calls: [svc%d]\n", i+1)
		}
		if i > 0 {
			fmt.Fprintf(&b, "    consumes: [svc%d.ThingCreated%d]\n", i-1, i-1)
		}
	}
	return []byte(b.String())
}
