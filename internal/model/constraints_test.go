package model

import "testing"

func intp(n int) *int { return &n }

func TestViolations(t *testing.T) {
	item := &Message{Name: "Item", Fields: []*Field{
		{Name: "sku", Type: &Type{Kind: ScalarType, Scalar: String}, Constraints: &Constraints{MinLen: intp(1), MaxLen: intp(3), Pattern: "^[a-z]+$"}},
		{Name: "quantity", Type: &Type{Kind: ScalarType, Scalar: Int32}, Constraints: &Constraints{Min: "1", Max: "2147483647"}},
		{Name: "tags", Type: &Type{Kind: ListType, Elem: &Type{Kind: ScalarType, Scalar: String}}, Constraints: &Constraints{MaxItems: intp(2), Format: FormatEmail}},
	}}
	req := &Message{Name: "BuyRequest", Fields: []*Field{
		{Name: "items", Type: &Type{Kind: ListType, Elem: &Type{Kind: MessageType, Message: item}}, Constraints: &Constraints{Required: true}},
		{Name: "price", Type: &Type{Kind: ScalarType, Scalar: Double}, Constraints: &Constraints{ExclusiveMin: "0"}},
	}}
	if !req.Constrained() || !item.Constrained() || (&Message{}).Constrained() {
		t.Error("Constrained is wrong")
	}
	type want struct {
		name, rule string
		kind       ViolationKind
		value      any
	}
	var got []want
	for _, v := range req.Violations() {
		w := want{v.Name, v.Rule, v.Kind, nil}
		switch v.Kind {
		case ViolateInt:
			w.value = v.Int
		case ViolateFloat:
			w.value = v.Float
		case ViolateText:
			w.value = v.Text
		case ViolateRepeat, ViolateItems:
			w.value = v.Repeat
		}
		got = append(got, w)
	}
	wants := []want{
		{"items", "required", ViolateZero, nil},
		{"items[0].sku", "min_len", ViolateRepeat, 0},
		{"items[0].sku", "max_len", ViolateRepeat, 4},
		{"items[0].sku", "pattern", ViolateText, ""},
		{"items[0].quantity", "min", ViolateInt, int64(0)},
		{"items[0].quantity", "min", ViolateInt, int64(-1)},
		{"items[0].tags", "max_items", ViolateItems, 3},
		{"items[0].tags[0]", "format", ViolateText, "not-an-email"},
		{"price", "exclusive_min", ViolateFloat, float64(0)},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d violations %v, want %v", len(got), got, wants)
	}
	for i := range wants {
		if got[i] != wants[i] {
			t.Errorf("violation %d = %v, want %v", i, got[i], wants[i])
		}
	}
}

func TestTotalOverflow(t *testing.T) {
	i32 := &Type{Kind: ScalarType, Scalar: Int32}
	i64 := &Type{Kind: ScalarType, Scalar: Int64}
	total := &Total{
		Target:   &Field{Name: "total_cents", Type: i64},
		Quantity: &Field{Name: "quantity", Type: i32, Constraints: &Constraints{Min: "1", Max: "1000"}},
		Price:    &Field{Name: "price_cents", Type: i64, Constraints: &Constraints{Max: "1000000000000000"}},
	}
	list := &Field{Name: "items", Constraints: &Constraints{MaxItems: intp(100)}}
	q, p, n, ok := total.Overflow(list)
	if !ok || q != 1000 || p != 1e15 || n != 10 {
		t.Errorf("Overflow = %d, %d, %d, %v", q, p, n, ok)
	}
	list.Constraints.MaxItems = intp(5)
	if _, _, _, ok := total.Overflow(list); ok {
		t.Error("five items of at most 10^18 overflow an int64")
	}
}

func TestFit(t *testing.T) {
	c := &Constraints{Min: "10", ExclusiveMax: "20"}
	if got := c.FitInt(3); got != 10 {
		t.Errorf("FitInt(3) = %d, want 10", got)
	}
	if got := c.FitInt(25); got != 19 {
		t.Errorf("FitInt(25) = %d, want 19", got)
	}
	if got := (*Constraints)(nil).FitInt(3); got != 3 {
		t.Errorf("nil FitInt(3) = %d", got)
	}
	if got := (&Constraints{ExclusiveMin: "0", Max: "1"}).FitFloat(5.5); got <= 0 || got > 1 {
		t.Errorf("FitFloat(5.5) = %v, want in (0, 1]", got)
	}
	if got := (&Constraints{MinItems: intp(3)}).FitItems(1); got != 3 {
		t.Errorf("FitItems(1) = %d, want 3", got)
	}
	for _, c := range []struct {
		c    *Constraints
		want string
	}{
		{&Constraints{Format: FormatEmail}, "sku-1@example.com"},
		{&Constraints{Format: FormatURI}, "https://example.com/sku_1"},
		{&Constraints{Pattern: `^[A-Z]{3}-\d+$`}, "AAA-0"},
		{&Constraints{Pattern: `^(ab|cd)+x?$`, MaxLen: intp(2)}, "ab"},
		{&Constraints{MinLen: intp(8)}, "sku_1xxx"},
		{&Constraints{MaxLen: intp(3)}, "sku"},
	} {
		in := "sku_1"
		if c.c.Format == FormatEmail {
			in = "sku_1"
		}
		if got := c.c.FitString(in); got != c.want {
			t.Errorf("%+v: FitString(%q) = %q, want %q", c.c, in, got, c.want)
		}
	}
}
