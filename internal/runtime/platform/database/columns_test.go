package database_test

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microforge/microforge/internal/runtime/platform/database"
)

func TestNullTime(t *testing.T) {
	want := time.Date(2026, 3, 1, 12, 30, 15, 0, time.UTC)
	for _, src := range []any{
		want.In(time.FixedZone("CET", 3600)),
		want.Unix(),
		"2026-03-01 13:30:15+01:00",
		[]byte("2026-03-01T12:30:15Z"),
		"2026-03-01 12:30:15",
		"1772368215",
	} {
		var nt database.NullTime
		if err := nt.Scan(src); err != nil || !nt.Valid || !nt.Time.Equal(want) || nt.Time.Location() != time.UTC {
			t.Errorf("Scan(%v) = %v %v %v", src, nt.Time, nt.Valid, err)
		}
		if v, _ := nt.Value(); v != want {
			t.Errorf("Value after Scan(%v) = %v", src, v)
		}
		if !nt.Timestamp().AsTime().Equal(want) {
			t.Errorf("Timestamp after Scan(%v) = %v", src, nt.Timestamp())
		}
	}
	nt := database.NullTime{Time: want, Valid: true}
	if err := nt.Scan(nil); err != nil || nt.Valid {
		t.Errorf("Scan(nil) left %v valid (%v)", nt, err)
	}
	if v, _ := nt.Value(); v != nil || nt.Timestamp() != nil {
		t.Error("NULL has a value")
	}
	for _, src := range []any{"yesterday", 1.5} {
		if err := nt.Scan(src); err == nil {
			t.Errorf("Scan(%v) succeeded", src)
		}
	}
	if database.Time(nil) != nil || database.Time(timestamppb.New(want)) != want {
		t.Error("Time")
	}
}

func TestMessages(t *testing.T) {
	col, err := database.MarshalMessage(wrapperspb.String("hi"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := database.UnmarshalMessage[wrapperspb.StringValue](sql.NullString{String: col.(string), Valid: true})
	if err != nil || got.GetValue() != "hi" {
		t.Errorf("round trip: %v %v", got, err)
	}
	if col, _ := database.MarshalMessage((*wrapperspb.StringValue)(nil)); col != nil {
		t.Errorf("nil message stored as %v", col)
	}
	if got, err := database.UnmarshalMessage[wrapperspb.StringValue](sql.NullString{}); got != nil || err != nil {
		t.Errorf("NULL: %v %v", got, err)
	}
	if _, err := database.UnmarshalMessage[wrapperspb.StringValue](sql.NullString{String: "{", Valid: true}); err == nil {
		t.Error("bad JSON parsed")
	}

	list, err := database.MarshalMessages([]*wrapperspb.Int64Value{wrapperspb.Int64(1), wrapperspb.Int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := database.UnmarshalMessages[wrapperspb.Int64Value](sql.NullString{String: list.(string), Valid: true})
	if err != nil || len(ms) != 2 || !proto.Equal(ms[1], wrapperspb.Int64(2)) {
		t.Errorf("list round trip: %v %v", ms, err)
	}
	if empty, _ := database.MarshalMessages[*wrapperspb.Int64Value](nil); empty != "[]" {
		t.Errorf("no messages stored as %v", empty)
	}
	for _, s := range []sql.NullString{{}, {String: "[]", Valid: true}} {
		if ms, err := database.UnmarshalMessages[wrapperspb.Int64Value](s); ms != nil || err != nil {
			t.Errorf("%v: %v %v", s, ms, err)
		}
	}
	if _, err := database.UnmarshalMessages[wrapperspb.Int64Value](sql.NullString{String: `[{"value": "x"}]`, Valid: true}); err == nil {
		t.Error("a bad element parsed")
	}
}

func TestLists(t *testing.T) {
	col, err := database.MarshalList([]int{3, 1})
	if err != nil || col != "[3,1]" {
		t.Fatalf("MarshalList: %v %v", col, err)
	}
	got, err := database.UnmarshalList[int](sql.NullString{String: col.(string), Valid: true})
	if err != nil || !slices.Equal(got, []int{3, 1}) {
		t.Errorf("round trip: %v %v", got, err)
	}
	if col, _ := database.MarshalList[string](nil); col != "[]" {
		t.Errorf("empty list stored as %v", col)
	}
	if got, _ := database.UnmarshalList[int](sql.NullString{String: "[]", Valid: true}); got != nil {
		t.Errorf("[] read as %v", got)
	}
	if _, err := database.UnmarshalList[int](sql.NullString{String: `["a"]`, Valid: true}); err == nil {
		t.Error("strings read as ints")
	}
}

type color int32

var colorNames = map[color]string{1: "RED", 2: "GREEN"}

func TestEnums(t *testing.T) {
	if database.EnumText(color(2), colorNames) != "GREEN" || database.EnumText(color(0), colorNames) != "" {
		t.Error("EnumText")
	}
	if v, err := database.EnumValue("RED", colorNames); v != 1 || err != nil {
		t.Errorf("EnumValue: %v %v", v, err)
	}
	if v, err := database.EnumValue("", colorNames); v != 0 || err != nil {
		t.Errorf("EnumValue of unspecified: %v %v", v, err)
	}
	if _, err := database.EnumValue("BLUE", colorNames); err == nil {
		t.Error("an unknown name parsed")
	}
	texts := database.EnumTexts([]color{2, 1}, colorNames)
	col, _ := database.MarshalList(texts)
	vs, err := database.UnmarshalEnums(sql.NullString{String: col.(string), Valid: true}, colorNames)
	if err != nil || !slices.Equal(vs, []color{2, 1}) {
		t.Errorf("round trip: %v %v", vs, err)
	}
	if vs, err := database.EnumValues(nil, colorNames); vs != nil || err != nil {
		t.Errorf("no texts: %v %v", vs, err)
	}
	if _, err := database.UnmarshalEnums(sql.NullString{String: `["BLUE"]`, Valid: true}, colorNames); err == nil {
		t.Error("an unknown name in a list parsed")
	}
	if _, err := database.UnmarshalEnums(sql.NullString{String: `[`, Valid: true}, colorNames); err == nil {
		t.Error("bad JSON parsed")
	}
}
