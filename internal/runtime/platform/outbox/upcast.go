package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/microforge/microforge/internal/runtime/platform/database"
)

// An event store keeps every event as it was encoded when it was recorded.
// When a field of an event later changes type (acknowledged in the
// blueprint with allow_breaking), it keeps its number, so an old event's
// value arrives under the new field's number in a wire type the new field
// does not have: protobuf keeps such values as unknown fields. Upcast hands
// them to the service's upcaster (upcast_<event>.go, a file the service
// owns), which converts each into the new type.
//
// An old value that was its type's zero (0, false) is not encoded at all,
// so an event stored before the change that lacks the field held the zero:
// for such stored events Upcast converts that zero too (0 becomes "0"),
// which only the event's position can tell apart from a new event leaving
// the field empty (see Mark).

// Converter converts the old values of one field.
type Converter struct {
	Was     protowire.Type // the wire type of the field's old type
	Convert func(OldValue) error
}

// OldValue is one value of a field as an old event stored it.
type OldValue struct {
	typ    protowire.Type
	raw    []byte // the value alone, without its tag
	absent bool   // the field was left out: its old type's zero value
}

// Int64 is the value of an old integer field (int32, int64, enum, bool).
func (v OldValue) Int64() (int64, error) {
	if v.absent {
		return 0, nil
	}
	switch v.typ {
	case protowire.VarintType:
		n, l := protowire.ConsumeVarint(v.raw)
		if l < 0 {
			return 0, protowire.ParseError(l)
		}
		return int64(n), nil
	case protowire.Fixed64Type:
		f, err := v.Float64()
		return int64(f), err
	}
	return 0, fmt.Errorf("an old %s value is not an integer", v.kind())
}

// Bool is the value of an old bool field.
func (v OldValue) Bool() (bool, error) {
	n, err := v.Int64()
	return n != 0, err
}

// Float64 is the value of an old double field.
func (v OldValue) Float64() (float64, error) {
	if v.absent {
		return 0, nil
	}
	switch v.typ {
	case protowire.Fixed64Type:
		n, l := protowire.ConsumeFixed64(v.raw)
		if l < 0 {
			return 0, protowire.ParseError(l)
		}
		return math.Float64frombits(n), nil
	case protowire.VarintType:
		n, err := v.Int64()
		return float64(n), err
	}
	return 0, fmt.Errorf("an old %s value is not a number", v.kind())
}

// Bytes is the value of an old string, bytes or message field (a message's
// encoding).
func (v OldValue) Bytes() ([]byte, error) {
	if v.absent {
		return nil, nil
	}
	if v.typ != protowire.BytesType {
		return nil, fmt.Errorf("an old %s value is not a string, bytes or message", v.kind())
	}
	b, l := protowire.ConsumeBytes(v.raw)
	if l < 0 {
		return nil, protowire.ParseError(l)
	}
	return b, nil
}

// String is the value of an old string field.
func (v OldValue) String() (string, error) {
	b, err := v.Bytes()
	return string(b), err
}

func (v OldValue) kind() string {
	switch v.typ {
	case protowire.VarintType:
		return "varint"
	case protowire.Fixed64Type:
		return "64-bit"
	case protowire.Fixed32Type:
		return "32-bit"
	case protowire.BytesType:
		return "length-delimited"
	}
	return fmt.Sprintf("wire type %d", v.typ)
}

// Upcast converts the old values msg holds as unknown fields: for each
// field number in convert, every old value under it is passed to its
// converter (in order: a repeated field has several) and then removed.
// Unknown fields of other numbers stay. When stored (the event was stored
// before the change), a numeric or boolean field it left out is converted
// from its zero value. A message in the current shape costs nothing.
func Upcast(msg proto.Message, stored bool, convert map[protowire.Number]Converter) error {
	m := msg.ProtoReflect()
	unknown := m.GetUnknown()
	if len(unknown) == 0 && !stored {
		return nil
	}
	seen := map[protowire.Number]bool{}
	var kept []byte
	for b := unknown; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("upcast %s: %w", m.Descriptor().FullName(), protowire.ParseError(n))
		}
		l := protowire.ConsumeFieldValue(num, typ, b[n:])
		if l < 0 {
			return fmt.Errorf("upcast %s: %w", m.Descriptor().FullName(), protowire.ParseError(l))
		}
		field := b[:n+l]
		if c, ok := convert[num]; ok {
			seen[num] = true
			if err := c.Convert(OldValue{typ: typ, raw: b[n : n+l]}); err != nil {
				return fmt.Errorf("upcast field %d of %s: %w", num, m.Descriptor().FullName(), err)
			}
		} else {
			kept = append(kept, field...)
		}
		b = b[n+l:]
	}
	if len(unknown) > 0 {
		m.SetUnknown(kept)
	}
	if !stored {
		return nil
	}
	for num, c := range convert {
		// A left-out string, bytes or message was empty, and empty converts
		// to the new type's zero, which the field already holds.
		if seen[num] || c.Was == protowire.BytesType || m.Has(m.Descriptor().Fields().ByNumber(num)) {
			continue
		}
		if err := c.Convert(OldValue{typ: c.Was, absent: true}); err != nil {
			return fmt.Errorf("upcast field %d of %s (left out, so zero): %w", num, m.Descriptor().FullName(), err)
		}
	}
	return nil
}

// Mark returns the position recorded under name in CheckpointTable,
// recording the newest event's (Head) the first time: with a name for a
// change, the last event stored before it. A service records its marks at
// start, before it writes an event of the new shape.
func Mark(ctx context.Context, q database.Querier, d database.Dialect, name string) (int64, error) {
	var pos int64
	err := q.QueryRowContext(ctx, d.Rebind("SELECT last_seq FROM "+d.Quote(CheckpointTable)+" WHERE name = ?"), name).Scan(&pos)
	if err == nil {
		return pos, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read mark %s: %w", name, err)
	}
	if pos, err = Head(ctx, q, d); err != nil {
		return 0, err
	}
	return pos, Reset(ctx, q, d, name, pos)
}
