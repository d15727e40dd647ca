package outbox

import (
	"errors"
	"strconv"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A value stored as an integer under a field that is now a string arrives
// as an unknown field; Upcast hands it to the converter and drops it.
func TestUpcastConvertsOldValues(t *testing.T) {
	var old []byte
	old = protowire.AppendTag(old, 1, protowire.VarintType)
	old = protowire.AppendVarint(old, 1250)
	old = protowire.AppendTag(old, 7, protowire.BytesType) // a field no converter claims
	old = protowire.AppendString(old, "kept")
	msg := new(wrapperspb.StringValue)
	if err := proto.Unmarshal(old, msg); err != nil {
		t.Fatal(err)
	}
	if msg.GetValue() != "" {
		t.Fatalf("the old integer decoded as %q", msg.GetValue())
	}
	err := Upcast(msg, true, map[protowire.Number]Converter{
		1: {Was: protowire.VarintType, Convert: func(v OldValue) error {
			n, err := v.Int64()
			msg.Value = strconv.FormatInt(n, 10)
			return err
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.GetValue() != "1250" {
		t.Errorf("value = %q, want 1250", msg.GetValue())
	}
	var rest []byte
	rest = protowire.AppendTag(rest, 7, protowire.BytesType)
	rest = protowire.AppendString(rest, "kept")
	if got := msg.ProtoReflect().GetUnknown(); string(got) != string(rest) {
		t.Errorf("unknown fields after upcast = %x, want %x", got, rest)
	}
	// A message in the current shape is left alone.
	called := Converter{Was: protowire.VarintType, Convert: func(OldValue) error { return errors.New("called") }}
	if err := Upcast(wrapperspb.String("new"), false, map[protowire.Number]Converter{1: called}); err != nil {
		t.Error(err)
	}
	if err := Upcast(new(wrapperspb.StringValue), false, map[protowire.Number]Converter{1: called}); err != nil {
		t.Errorf("a new event leaving the field empty was converted: %v", err)
	}
}

// An event stored before the change that left the field out held the old
// type's zero: it converts too (0 becomes "0"); a left-out string stays
// empty.
func TestUpcastConvertsLeftOutZeros(t *testing.T) {
	msg := new(wrapperspb.StringValue)
	err := Upcast(msg, true, map[protowire.Number]Converter{
		1: {Was: protowire.VarintType, Convert: func(v OldValue) error {
			n, err := v.Int64()
			msg.Value = strconv.FormatInt(n, 10)
			return err
		}},
	})
	if err != nil || msg.GetValue() != "0" {
		t.Errorf("left-out old integer: value %q (%v), want \"0\"", msg.GetValue(), err)
	}
	called := false
	err = Upcast(new(wrapperspb.Int64Value), true, map[protowire.Number]Converter{
		1: {Was: protowire.BytesType, Convert: func(OldValue) error { called = true; return nil }},
	})
	if err != nil || called {
		t.Errorf("a left-out old string was converted (%v)", err)
	}
}

// A converter's error names the field and the message.
func TestUpcastReportsFailures(t *testing.T) {
	var old []byte
	old = protowire.AppendTag(old, 1, protowire.VarintType)
	old = protowire.AppendVarint(old, 3)
	msg := new(wrapperspb.StringValue)
	if err := proto.Unmarshal(old, msg); err != nil {
		t.Fatal(err)
	}
	err := Upcast(msg, false, map[protowire.Number]Converter{
		1: {Was: protowire.VarintType, Convert: func(v OldValue) error { _, err := v.String(); return err }},
	})
	if err == nil || err.Error() != "upcast field 1 of google.protobuf.StringValue: an old varint value is not a string, bytes or message" {
		t.Errorf("error = %v", err)
	}
}
