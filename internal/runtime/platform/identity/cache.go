package identity

import (
	"sync"
	"time"
)

// DefaultTokenCacheSize is how many verified tokens a TokenCache holds
// unless told otherwise.
const DefaultTokenCacheSize = 4096

// TokenCache remembers what verifying each token gave until the token
// expires, so that a token presented again costs a map lookup instead of a
// signature verification. It holds at most Size tokens (DefaultTokenCacheSize
// when 0): past that it forgets the expired ones, then as many others as
// it takes to get back to three quarters of Size. Only tokens that passed
// every check belong in it; refused ones are verified again every time.
// The zero value is ready to use.
type TokenCache[V any] struct {
	Size int

	mu      sync.RWMutex
	entries map[string]cachedVerification[V]
}

type cachedVerification[V any] struct {
	value V
	until time.Time // the cached verification holds before this instant
}

// Get returns what verifying token gave, when it was verified and now is
// before the instant Put was told it holds until.
func (c *TokenCache[V]) Get(token string, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[token]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put remembers that token verified as value, until the instant until
// (its expiry, or sooner).
func (c *TokenCache[V]) Put(token string, value V, until, now time.Time) {
	if !now.Before(until) {
		return
	}
	size := c.Size
	if size <= 0 {
		size = DefaultTokenCacheSize
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedVerification[V]{}
	}
	if _, ok := c.entries[token]; !ok && len(c.entries) >= size {
		for t, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, t)
			}
		}
		for t := range c.entries { // in Go's random map order
			if len(c.entries) < size*3/4 {
				break
			}
			delete(c.entries, t)
		}
	}
	c.entries[token] = cachedVerification[V]{value, until}
}

// Len returns how many tokens the cache holds.
func (c *TokenCache[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
