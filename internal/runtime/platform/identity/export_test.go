package identity

import "time"

// SetClock makes k read the time from clock, for tests of expiry.
func (k *Keys) SetClock(clock func() time.Time) { k.clock = clock }

// CachedTokens returns how many verified tokens k remembers.
func (k *Keys) CachedTokens() int { return k.verified.Len() }
