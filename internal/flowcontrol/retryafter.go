package flowcontrol

import (
	"sync"
	"time"
)

// maxRetryAfter caps the Retry-After seconds a rejection suggests.
const maxRetryAfter = 32

// retryAfter suggests how long rejected clients of each level should wait: one
// second at first, doubled (up to 32) while a level keeps rejecting at least three
// requests per suggested second, and lowered by a second when rejections fade, the
// policy of upstream's dropped-requests tracker.
type retryAfter struct {
	now func() time.Time
	// mu guards levels.
	mu     sync.Mutex
	levels map[string]*dropStats
}

type dropStats struct {
	// second is the Unix second count belongs to.
	second, count int64
	// history holds the counts of earlier seconds, oldest first.
	history    []secondCount
	value      int64
	lastRaised int64
}

type secondCount struct{ second, count int64 }

func newRetryAfter(now func() time.Time) *retryAfter {
	return &retryAfter{now: now, levels: map[string]*dropStats{}}
}

// dropped records a rejection at level.
func (r *retryAfter) dropped(level string) {
	now := r.now().Unix()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.levels[level]
	if s == nil {
		s = &dropStats{value: 1}
		r.levels[level] = s
	}
	if s.second == now {
		s.count++
		return
	}
	if s.count > 0 {
		s.history = append(s.history, secondCount{s.second, s.count})
	}
	s.second, s.count = now, 1
	// Keep twice the current suggestion's worth of history.
	keep := min(2*s.value, maxRetryAfter)
	for len(s.history) > 0 && now-s.history[0].second > keep {
		s.history = s.history[1:]
	}
	var recent int64
	for _, h := range s.history {
		if now-h.second <= s.value {
			recent += h.count
		}
	}
	switch {
	case now-s.lastRaised >= s.value && recent >= 3*s.value:
		s.value = min(2*s.value, maxRetryAfter)
		s.lastRaised = now
	case recent < s.value && s.value > 1:
		s.value--
	}
}

// seconds is the Retry-After to send for level.
func (r *retryAfter) seconds(level string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.levels[level]; s != nil {
		return s.value
	}
	return 1
}
