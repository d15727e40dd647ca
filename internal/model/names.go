package model

import (
	"strconv"
	"strings"
	"unicode"
)

// GoCamelCase converts a proto identifier to the Go name protoc-gen-go gives it:
// an underscore followed by a lower-case letter is dropped and the letter is
// upper-cased; the first letter is upper-cased.
func GoCamelCase(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && i+1 < len(s) && isLower(s[i+1]):
		case c == '.':
			b = append(b, '_')
		case c == '_' && (i == 0 || s[i-1] == '.'):
			b = append(b, 'X')
		case c == '_' && i+1 < len(s) && isLower(s[i+1]):
		case isDigit(c):
			b = append(b, c)
		default:
			if isLower(c) {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			for ; i+1 < len(s) && isLower(s[i+1]); i++ {
				b = append(b, s[i+1])
			}
		}
	}
	return string(b)
}

// JSONCamelCase converts a proto field name to its protojson name.
func JSONCamelCase(s string) string {
	var b []byte
	upperNext := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			upperNext = true
			continue
		}
		if upperNext && isLower(c) {
			c -= 'a' - 'A'
		}
		upperNext = false
		b = append(b, c)
	}
	return string(b)
}

// LowerFirst lower-cases the first letter.
func LowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Snake converts PascalCase or camelCase to lower_snake_case: "PlaceOrder" ->
// "place_order", "HTTPServer" -> "http_server".
func Snake(s string) string {
	runes := []rune(s)
	var b strings.Builder
	for i, r := range runes {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := runes[i-1]
				nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// UpperSnake converts PascalCase to UPPER_SNAKE_CASE.
func UpperSnake(s string) string { return strings.ToUpper(Snake(s)) }

// Plural returns a simple English plural of a lower snake word.
func Plural(s string) string {
	switch {
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"),
		strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

// Words splits a PascalCase name into its lower-case words: "PlaceOrder" ->
// [place order].
func Words(s string) []string {
	return strings.Split(Snake(s), "_")
}

// RequestName is the request message name of a command or query.
func RequestName(method string) string { return method + "Request" }

// ResponseName is the response message name of a command or query.
func ResponseName(method string) string { return method + "Response" }

// EnumName is the name of the enum declared inline on a field of a message.
func EnumName(message, field string) string { return message + GoCamelCase(field) }

// ProtoServiceName is the protobuf service name of a service.
func ProtoServiceName(service string) string { return GoCamelCase(service) + "Service" }

// GoPackageName is the Go package name of version n of a service's generated
// protobuf code, "ordersv2".
func GoPackageName(service string, n int) string {
	return strings.ReplaceAll(service, "_", "") + "v" + strconv.Itoa(n)
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// DNSName turns a lower snake name into a DNS label: "hit_counter" ->
// "hit-counter".
func DNSName(s string) string { return strings.ReplaceAll(s, "_", "-") }

// IdentitySecret is the Kubernetes Secret holding a deployable's private
// service key under "private-key": "orders-identity".
func IdentitySecret(deployable string) string { return DNSName(deployable) + "-identity" }

// PublicKeysSecret is the Kubernetes Secret holding every deployable's
// public service key, one entry per deployable name: "shop-public-keys".
func PublicKeysSecret(sys *System) string { return DNSName(sys.Name) + "-public-keys" }
