package load

import (
	"math"
	"math/bits"
	"time"
)

// subBuckets is the number of linear buckets in each power of two of a
// Histogram: latencies are kept to within 1/subBuckets (1.6%) of their
// value, in constant memory however long the load runs.
const subBuckets = 64

// Histogram records latencies, to the microsecond below 64µs and to within
// 1.6% above, and answers percentiles of them. The zero value is empty and
// ready to use; it is not safe for concurrent use.
type Histogram struct {
	counts []int64 // by bucket index
	n      int64
	max    time.Duration
}

// bucketOf returns the bucket of a latency of us microseconds: one bucket
// per microsecond below subBuckets, then subBuckets buckets per power of
// two.
func bucketOf(us uint64) int {
	if us < subBuckets {
		return int(us)
	}
	shift := bits.Len64(us) - 7 // us>>shift is in [64, 128)
	return (shift+1)*subBuckets + int(us>>shift) - subBuckets
}

// upperBound returns the largest latency, in microseconds, of bucket i.
func upperBound(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	shift := i/subBuckets - 1
	return (uint64(i%subBuckets+subBuckets)+1)<<shift - 1
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	i := bucketOf(uint64(d / time.Microsecond))
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]int64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	h.n++
	h.max = max(h.max, d)
}

// Merge adds every latency of o.
func (h *Histogram) Merge(o *Histogram) {
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]int64, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// Count returns the number of latencies recorded.
func (h *Histogram) Count() int64 { return h.n }

// Max returns the largest latency recorded, exactly.
func (h *Histogram) Max() time.Duration { return h.max }

// Percentile returns the latency that p percent (0 < p <= 100) of the
// recorded ones do not exceed, to within 1.6%; 0 when none were recorded.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(p / 100 * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(upperBound(i))*time.Microsecond, h.max)
		}
	}
	return h.max
}
