package service

import (
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// initialisms are the words Go spells in capitals in an identifier (the
// list of golint and staticcheck).
var initialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true,
	"EOF": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true,
	"IP": true, "JSON": true, "LHS": true, "QPS": true, "RAM": true, "RHS": true,
	"RPC": true, "SLA": true, "SMTP": true, "SQL": true, "SSH": true, "TCP": true,
	"TLS": true, "TTL": true, "UDP": true, "UI": true, "UID": true, "UUID": true,
	"URI": true, "URL": true, "UTF8": true, "VM": true, "XML": true, "XMPP": true,
	"XSRF": true, "XSS": true,
}

// exportedName is the Go name microforge chooses for a snake_case
// blueprint name, with Go's initialisms: "order_id" is "OrderID". Names
// protoc-gen-go chooses (fields, getters) stay as it spells them.
func exportedName(snake string) string {
	var b strings.Builder
	for _, w := range strings.Split(snake, "_") {
		if w == "" {
			continue
		}
		if up := strings.ToUpper(w); initialisms[up] {
			b.WriteString(up)
			continue
		}
		b.WriteString(model.GoCamelCase(w))
	}
	return b.String()
}

// unexportedName is exportedName for a variable or parameter: "orderID",
// "id", "url".
func unexportedName(snake string) string {
	name := exportedName(snake)
	first := strings.Split(strings.TrimLeft(snake, "_"), "_")[0]
	if initialisms[strings.ToUpper(first)] {
		return strings.ToLower(name[:len(first)]) + name[len(first):]
	}
	if name == "" {
		return ""
	}
	return strings.ToLower(name[:1]) + name[1:]
}
