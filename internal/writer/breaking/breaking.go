// Package breaking finds changes between two versions of a set of protobuf
// files that break the API's existing clients. It implements buf's breaking
// rules of the categories FILE (what microforge's generated buf.yaml selects:
// generated code keeps compiling), WIRE_JSON (the binary and JSON encodings
// stay readable) and WIRE (the binary encoding stays readable), as buf's v2
// configuration defines them, over descriptors compiled in-process with
// protocompile. Problems carry buf's rule IDs and categories so that `buf
// breaking` users recognise them and callers can choose what blocks.
//
// buf itself is not linked in: its module graph is far heavier than
// microforge, and these rules need only the descriptors. A differential test
// (buf_test.go) runs the real buf over a corpus of changes and fails on any
// difference in the rules reported.
//
// Not implemented, because microforge never generates what they compare:
// extensions (EXTENSION_NO_DELETE and extension fields), editions features
// (FIELD_SAME_UTF8_VALIDATION, ENUM_SAME_JSON_FORMAT,
// MESSAGE_SAME_JSON_FORMAT), proto2 defaults (FIELD_SAME_DEFAULT) and the C++
// and Java field options (FIELD_SAME_CPP_STRING_TYPE,
// FIELD_SAME_JAVA_UTF8_VALIDATION), nor the PACKAGE category's own rules.
package breaking

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/microforge/microforge/internal/protoc"
)

// The categories of buf's breaking rules this package implements, from the
// strictest to the most lenient.
const (
	// File: generated code that compiled against the old files still
	// compiles, and the wire and JSON encodings are kept.
	File = "FILE"
	// WireJSON: messages encoded by either version decode with the other,
	// in the binary wire format and in JSON (Connect's and the gateway's
	// REST encoding). Deleting is fine once numbers and names are reserved.
	WireJSON = "WIRE_JSON"
	// Wire: messages in the binary wire format decode with either version;
	// names may change.
	Wire = "WIRE"
)

// ruleCategories maps every rule this package reports to the categories
// that include it in buf's v2 configuration (the version of the buf.yaml
// microforge generates), as `buf config ls-breaking-rules --version v2`
// lists them; the differential test checks the two agree.
var ruleCategories = map[string][]string{
	// Deleting a declaration breaks code that uses it, not the wire.
	"ENUM_NO_DELETE":    {File},
	"FILE_NO_DELETE":    {File},
	"MESSAGE_NO_DELETE": {File},
	"SERVICE_NO_DELETE": {File},
	"RPC_NO_DELETE":     {File},
	"ONEOF_NO_DELETE":   {File},

	"ENUM_VALUE_NO_DELETE":        {File},
	"FIELD_NO_DELETE":             {File},
	"EXTENSION_MESSAGE_NO_DELETE": {File},

	"ENUM_SAME_TYPE":         {File},
	"FIELD_SAME_CARDINALITY": {File},
	"FIELD_SAME_JSTYPE":      {File},
	"FIELD_SAME_TYPE":        {File},

	"FILE_SAME_CC_ENABLE_ARENAS":       {File},
	"FILE_SAME_CC_GENERIC_SERVICES":    {File},
	"FILE_SAME_CSHARP_NAMESPACE":       {File},
	"FILE_SAME_GO_PACKAGE":             {File},
	"FILE_SAME_JAVA_GENERIC_SERVICES":  {File},
	"FILE_SAME_JAVA_MULTIPLE_FILES":    {File},
	"FILE_SAME_JAVA_OUTER_CLASSNAME":   {File},
	"FILE_SAME_JAVA_PACKAGE":           {File},
	"FILE_SAME_OBJC_CLASS_PREFIX":      {File},
	"FILE_SAME_OPTIMIZE_FOR":           {File},
	"FILE_SAME_PHP_CLASS_PREFIX":       {File},
	"FILE_SAME_PHP_METADATA_NAMESPACE": {File},
	"FILE_SAME_PHP_NAMESPACE":          {File},
	"FILE_SAME_PY_GENERIC_SERVICES":    {File},
	"FILE_SAME_RUBY_PACKAGE":           {File},
	"FILE_SAME_SWIFT_PREFIX":           {File},
	"FILE_SAME_SYNTAX":                 {File},

	"MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR": {File},

	// Names are part of the JSON encoding.
	"ENUM_VALUE_SAME_NAME": {File, WireJSON},
	"FIELD_SAME_JSON_NAME": {File, WireJSON},
	"FIELD_SAME_NAME":      {File, WireJSON},

	// Breaks every encoding.
	"FIELD_SAME_ONEOF":             {File, WireJSON, Wire},
	"FILE_SAME_PACKAGE":            {File, WireJSON, Wire},
	"MESSAGE_SAME_REQUIRED_FIELDS": {File, WireJSON, Wire},
	"RESERVED_ENUM_NO_DELETE":      {File, WireJSON, Wire},
	"RESERVED_MESSAGE_NO_DELETE":   {File, WireJSON, Wire},
	"RPC_SAME_CLIENT_STREAMING":    {File, WireJSON, Wire},
	"RPC_SAME_IDEMPOTENCY_LEVEL":   {File, WireJSON, Wire},
	"RPC_SAME_REQUEST_TYPE":        {File, WireJSON, Wire},
	"RPC_SAME_RESPONSE_TYPE":       {File, WireJSON, Wire},
	"RPC_SAME_SERVER_STREAMING":    {File, WireJSON, Wire},

	// The lenient counterparts of the FILE rules above.
	"ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED":   {WireJSON},
	"FIELD_NO_DELETE_UNLESS_NAME_RESERVED":        {WireJSON},
	"FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY":      {WireJSON},
	"FIELD_WIRE_JSON_COMPATIBLE_TYPE":             {WireJSON},
	"ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED": {WireJSON, Wire},
	"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED":      {WireJSON, Wire},
	"FIELD_WIRE_COMPATIBLE_CARDINALITY":           {Wire},
	"FIELD_WIRE_COMPATIBLE_TYPE":                  {Wire},
}

// Problem is one breaking change.
type Problem struct {
	Path    string `json:"path"`    // the .proto file, as compiled
	Rule    string `json:"rule"`    // buf's rule ID, e.g. FIELD_NO_DELETE
	Message string `json:"message"` // what changed, and what to do instead
	// Categories lists the categories among FILE, WIRE_JSON and WIRE whose
	// rules include Rule.
	Categories []string `json:"categories"`
	// Element is the full name of what changed: a message, field, enum,
	// enum value (below its enum, "shop.orders.v1.OrderStatus.ORDER_STATUS_SHIPPED",
	// though protobuf scopes values beside it), service or rpc; "" for a
	// whole file.
	Element string `json:"element,omitempty"`
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s (%s)", p.Path, p.Message, p.Rule) }

// In reports whether the problem's rule belongs to the category.
func (p Problem) In(category string) bool { return slices.Contains(p.Categories, category) }

// Categories returns the categories among FILE, WIRE_JSON and WIRE that
// include the rule, nil for a rule this package does not implement.
func Categories(rule string) []string { return slices.Clone(ruleCategories[rule]) }

// Rules returns the IDs of the rules of the category this package
// implements, sorted.
func Rules(category string) []string {
	var ids []string
	for id, cats := range ruleCategories {
		if slices.Contains(cats, category) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Check reports the problems of buf's FILE category, the one microforge's
// generated buf.yaml selects.
func Check(ctx context.Context, previous, next []protoc.Source) ([]Problem, error) {
	return CheckCategories(ctx, previous, next, File)
}

// CheckCategories compiles both versions and reports the problems of every
// rule in any of the categories (FILE, WIRE_JSON, WIRE), sorted by path.
// Elements are paired as buf pairs them: files by path, messages, enums and
// services by full name wherever they are declared, fields and enum values
// by number, methods by name.
func CheckCategories(ctx context.Context, previous, next []protoc.Source, categories ...string) ([]Problem, error) {
	for _, c := range categories {
		if c != File && c != WireJSON && c != Wire {
			return nil, fmt.Errorf("unknown breaking-change category %q (want %s, %s or %s)", c, File, WireJSON, Wire)
		}
	}
	if len(previous) == 0 {
		return nil, nil
	}
	oldFiles, err := protoc.Compile(ctx, previous)
	if err != nil {
		return nil, fmt.Errorf("compile the last generated protos: %w", err)
	}
	newFiles, err := protoc.Compile(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("compile the new protos: %w", err)
	}
	olds, news := make([]protoreflect.FileDescriptor, len(oldFiles)), make([]protoreflect.FileDescriptor, len(newFiles))
	for i, f := range oldFiles {
		olds[i] = f
	}
	for i, f := range newFiles {
		news[i] = f
	}
	var kept []Problem
	for _, p := range compare(olds, news) {
		for _, c := range categories {
			if p.In(c) {
				kept = append(kept, p)
				break
			}
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Path < kept[j].Path })
	return kept, nil
}
