// Package checked does the arithmetic of the values a service computes by
// default (an order's total from its items) with overflow checks: a result
// that does not fit its type is reported, never wrapped around into a
// plausible-looking wrong number.
package checked

import "math"

// Add returns a+b, and false (with a unchanged) when the sum does not fit
// T.
func Add[T ~int32 | ~int64](a T, b int64) (T, bool) {
	sum := int64(a) + b
	if (b > 0 && sum < int64(a)) || (b < 0 && sum > int64(a)) || int64(T(sum)) != sum {
		return a, false
	}
	return T(sum), true
}

// Mul returns a×b, and false when the product does not fit an int64.
func Mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	product := a * b
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || product/b != a {
		return 0, false
	}
	return product, true
}
