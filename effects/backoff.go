package effects

import (
	"math/rand/v2"
	"time"
)

// retryDelay is how long a delivery waits after its attempts-th failed
// attempt: base doubling with each attempt up to maxDelay, with jitter drawn
// here (never in apply) between half and the whole of it; a receiver's
// Retry-After, when longer, wins.
func retryDelay(base, maxDelay time.Duration, attempts int, retryAfter time.Duration) time.Duration {
	delay := base << min(attempts-1, 30)
	if delay <= 0 || delay > maxDelay {
		delay = maxDelay
	}
	delay = delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1)) // jitter: half to full
	if retryAfter > delay {
		delay = retryAfter
	}
	return delay
}
