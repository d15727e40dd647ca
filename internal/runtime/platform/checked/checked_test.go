package checked

import (
	"math"
	"testing"
)

func TestAdd(t *testing.T) {
	for _, c := range []struct {
		a, b int64
		want int64
		ok   bool
	}{
		{1, 2, 3, true},
		{-5, 3, -2, true},
		{math.MaxInt64 - 1, 1, math.MaxInt64, true},
		{math.MaxInt64, 1, math.MaxInt64, false},
		{math.MinInt64, -1, math.MinInt64, false},
		{math.MinInt64, math.MaxInt64, -1, true},
	} {
		if got, ok := Add(c.a, c.b); got != c.want || ok != c.ok {
			t.Errorf("Add(%d, %d) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}

func TestAddInt32(t *testing.T) {
	if got, ok := Add(int32(math.MaxInt32-1), 1); got != math.MaxInt32 || !ok {
		t.Errorf("Add(MaxInt32-1, 1) = %d, %v", got, ok)
	}
	if got, ok := Add(int32(math.MaxInt32), 1); got != math.MaxInt32 || ok {
		t.Errorf("Add(MaxInt32, 1) = %d, %v; want it refused", got, ok)
	}
	if _, ok := Add(int32(0), math.MinInt32-1); ok {
		t.Error("Add(0, MinInt32-1) fits an int32")
	}
}

func TestMul(t *testing.T) {
	for _, c := range []struct {
		a, b int64
		want int64
		ok   bool
	}{
		{0, math.MaxInt64, 0, true},
		{3, 7, 21, true},
		{-3, 7, -21, true},
		{2_000_000_000, 4_000_000_000, 8_000_000_000_000_000_000, true},
		{2_000_000_000, math.MaxInt64, 0, false},
		{2, math.MaxInt64/2 + 1, 0, false},
		{-1, math.MinInt64, 0, false},
		{math.MinInt64, -1, 0, false},
		{-1, math.MaxInt64, -math.MaxInt64, true},
	} {
		if got, ok := Mul(c.a, c.b); got != c.want || ok != c.ok {
			t.Errorf("Mul(%d, %d) = %d, %v; want %d, %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
}
