package database

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Time returns the column value of a timestamp: NULL for nil, else UTC time.
func Time(ts *timestamppb.Timestamp) any {
	if ts == nil {
		return nil
	}
	return ts.AsTime().UTC()
}

// NullTime scans a timestamp column of any of the three drivers: PostgreSQL
// and MySQL (parseTime) return time.Time, SQLite may return text or a Unix
// time.
type NullTime struct {
	Time  time.Time
	Valid bool
}

// timeLayouts are the text forms SQLite drivers and tools write.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// Scan implements sql.Scanner.
func (t *NullTime) Scan(src any) error {
	t.Time, t.Valid = time.Time{}, false
	switch v := src.(type) {
	case nil:
		return nil
	case time.Time:
		t.Time, t.Valid = v.UTC(), true
		return nil
	case int64:
		t.Time, t.Valid = time.Unix(v, 0).UTC(), true
		return nil
	case []byte:
		return t.parse(string(v))
	case string:
		return t.parse(v)
	}
	return fmt.Errorf("scan %T into a timestamp", src)
}

func (t *NullTime) parse(s string) error {
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time, t.Valid = v.UTC(), true
			return nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		t.Time, t.Valid = time.Unix(n, 0).UTC(), true
		return nil
	}
	return fmt.Errorf("scan %q into a timestamp", s)
}

// Value implements driver.Valuer.
func (t NullTime) Value() (driver.Value, error) {
	if !t.Valid {
		return nil, nil
	}
	return t.Time.UTC(), nil
}

// Timestamp returns the protobuf timestamp, nil when NULL.
func (t NullTime) Timestamp() *timestamppb.Timestamp {
	if !t.Valid {
		return nil
	}
	return timestamppb.New(t.Time)
}

// MarshalMessage returns the protojson text of m for a JSON column, NULL
// for nil.
func MarshalMessage[M proto.Message](m M) (any, error) {
	if !m.ProtoReflect().IsValid() {
		return nil, nil
	}
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// UnmarshalMessage parses a JSON column written by MarshalMessage; NULL
// gives nil.
func UnmarshalMessage[T any, P interface {
	*T
	proto.Message
}](col sql.NullString) (P, error) {
	if !col.Valid || col.String == "" {
		return nil, nil
	}
	m := P(new(T))
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(col.String), m); err != nil {
		return nil, err
	}
	return m, nil
}

// MarshalMessages returns a JSON array of the protojson form of each
// message, "[]" for none.
func MarshalMessages[M proto.Message](ms []M) (any, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		b, err := protojson.Marshal(m)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.String(), nil
}

// UnmarshalMessages parses a JSON column written by MarshalMessages.
func UnmarshalMessages[T any, P interface {
	*T
	proto.Message
}](col sql.NullString) ([]P, error) {
	if !col.Valid || col.String == "" {
		return nil, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(col.String), &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, nil
	}
	out := make([]P, len(raw))
	for i, r := range raw {
		m := P(new(T))
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(r, m); err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// MarshalList returns the JSON array of a list of scalars, "[]" for none.
func MarshalList[T any](vs []T) (any, error) {
	if len(vs) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(vs)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// UnmarshalList parses a JSON column written by MarshalList.
func UnmarshalList[T any](col sql.NullString) ([]T, error) {
	if !col.Valid || col.String == "" {
		return nil, nil
	}
	var vs []T
	if err := json.Unmarshal([]byte(col.String), &vs); err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, nil
	}
	return vs, nil
}

// EnumText returns the text stored for an enum value: its blueprint name,
// "" for the unspecified value.
func EnumText[E comparable](v E, names map[E]string) string {
	return names[v]
}

// EnumValue parses the text stored for an enum value.
func EnumValue[E comparable](text string, names map[E]string) (E, error) {
	var zero E
	if text == "" {
		return zero, nil
	}
	for v, name := range names {
		if name == text {
			return v, nil
		}
	}
	return zero, fmt.Errorf("unknown value %q", text)
}

// EnumTexts returns the texts of a list of enum values.
func EnumTexts[E comparable](vs []E, names map[E]string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = names[v]
	}
	return out
}

// EnumValues parses the texts of a list of enum values.
func EnumValues[E comparable](texts []string, names map[E]string) ([]E, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	out := make([]E, len(texts))
	for i, t := range texts {
		v, err := EnumValue(t, names)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// UnmarshalEnums parses a JSON column written as
// MarshalList(EnumTexts(vs, names)).
func UnmarshalEnums[E comparable](col sql.NullString, names map[E]string) ([]E, error) {
	texts, err := UnmarshalList[string](col)
	if err != nil {
		return nil, err
	}
	return EnumValues(texts, names)
}
