package blueprint

import (
	"regexp"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

var (
	lowerSnakeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	pascalRE     = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	moduleRE     = regexp.MustCompile(`^[A-Za-z0-9~-]+(\.[A-Za-z0-9~-]+)*(/[A-Za-z0-9_~-]+(\.[A-Za-z0-9_~-]+)*)*$`)
	dnsLabelRE   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// goKeywords and goPredeclared cannot name a Go package.
var (
	goKeywords = set(`break case chan const continue default defer else fallthrough for func go
		goto if import interface map package range return select struct switch type var`)
	goPredeclared = set(`any bool byte comparable complex64 complex128 error float32 float64
		int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
		true false iota nil append cap clear close complex copy delete imag len make max min
		new panic print println real recover`)
	// reservedPackages are names the generated repository uses for its own
	// packages, or standard-library packages its code imports: a service of
	// that name would shadow them.
	reservedPackages = set(`main local platform gateway token keys identity context errors fmt http slog sql
		time strings os net log testing sync io json url
		config database server client logging outbox connect embed flag proto protojson
		signal slices strconv syscall uuid timestamppb goose`)
	// protoMethods are methods protoc-gen-go generates on every message; a
	// field whose Go name equals one does not compile.
	protoMethods = set(`Reset String ProtoMessage ProtoReflect Descriptor`)
)

// packageNameProblem says why a lower snake name cannot name a Go package
// of the generated repository, or returns "".
func packageNameProblem(name string) string {
	switch {
	case goKeywords[name]:
		return "is a Go keyword"
	case goPredeclared[name]:
		return "is a predeclared Go identifier"
	case reservedPackages[name]:
		return "is reserved: the generated repository has or imports a package of that name"
	}
	return ""
}

// fieldNameProblem says why a field name cannot be used, or returns "".
func fieldNameProblem(name string) string {
	goName := model.GoCamelCase(name)
	if protoMethods[goName] || strings.HasPrefix(goName, "XXX_") {
		return "becomes " + goName + " in Go, which protoc-gen-go uses for a method of every message"
	}
	return ""
}

// snakeHint suggests a lower_snake_case spelling of s.
func snakeHint(s string) string {
	t := strings.ToLower(model.Snake(strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(s)))
	for strings.Contains(t, "__") {
		t = strings.ReplaceAll(t, "__", "_")
	}
	t = strings.Trim(t, "_")
	if lowerSnakeRE.MatchString(t) && t != s {
		return "try \"" + t + "\""
	}
	return ""
}

// pascalHint suggests a PascalCase spelling of s.
func pascalHint(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == '.':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	t := b.String()
	if pascalRE.MatchString(t) && t != s {
		return "try \"" + t + "\""
	}
	return ""
}
