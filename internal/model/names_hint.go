package model

import (
	"fmt"
	"strings"
)

// DidYouMean returns a hint naming the candidate closest to name, or "".
func DidYouMean(name string, candidates []string) string {
	if c := Closest(name, candidates); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return ""
}

// Closest returns the candidate nearest to name by edit distance (ignoring
// case), or "" when none is near enough to be a likely typo.
func Closest(name string, candidates []string) string {
	best, bestD := "", 0
	ln := strings.ToLower(name)
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := editDistance(ln, strings.ToLower(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	limit := min(1+len(name)/4, 3)
	if bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ar, br := []rune(a), []rune(b)
	prev := make([]int, len(br)+1)
	cur := make([]int, len(br)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ar); i++ {
		cur[0] = i
		for j := 1; j <= len(br); j++ {
			cost := 1
			if ar[i-1] == br[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(br)]
}

// TypeString writes t as a blueprint does: string, enum(a, b), list<Item>,
// or other.Message for a message of another service than from.
func TypeString(t *Type, from *Service) string {
	switch t.Kind {
	case ScalarType:
		return string(t.Scalar)
	case EnumType:
		var vs []string
		for _, v := range t.Enum.Values {
			vs = append(vs, v.Name)
		}
		return "enum(" + strings.Join(vs, ", ") + ")"
	case ListType:
		return "list<" + TypeString(t.Elem, from) + ">"
	case MessageType:
		if t.Message.Service != nil && t.Message.Service != from {
			return t.Message.Service.Name + "." + t.Message.Name
		}
		return t.Message.Name
	}
	return "?"
}

// Article is the indefinite article of kind: "an order", "a payment".
func Article(kind string) string {
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an"
	}
	return "a"
}
