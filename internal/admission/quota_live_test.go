package admission

import (
	"testing"
	"time"
)

func TestQuotaLive(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		run  func(l *quotaLive) bool // returns hasNone("ns") at the end
		want bool
	}{
		{"nothing looked up", func(l *quotaLive) bool { return l.hasNone("ns", now) }, false},
		{"a lookup found none", func(l *quotaLive) bool {
			l.foundNone("ns", l.begin("ns"), now)
			return l.hasNone("ns", now.Add(quotaLiveTTL-time.Second))
		}, true},
		{"the answer expires", func(l *quotaLive) bool {
			l.foundNone("ns", l.begin("ns"), now)
			return l.hasNone("ns", now.Add(quotaLiveTTL))
		}, false},
		{"a quota written afterwards", func(l *quotaLive) bool {
			l.foundNone("ns", l.begin("ns"), now)
			l.written("ns")
			return l.hasNone("ns", now)
		}, false},
		{"a quota written while looking", func(l *quotaLive) bool {
			gen := l.begin("ns")
			l.written("ns")
			l.foundNone("ns", gen, now)
			return l.hasNone("ns", now)
		}, false},
		{"a quota written in another namespace", func(l *quotaLive) bool {
			l.foundNone("ns", l.begin("ns"), now)
			l.written("other")
			return l.hasNone("ns", now)
		}, true},
		{"a lookup after the write", func(l *quotaLive) bool {
			l.written("ns")
			l.foundNone("ns", l.begin("ns"), now)
			return l.hasNone("ns", now)
		}, true},
		{"bounded", func(l *quotaLive) bool {
			for i := range quotaLiveMax + 10 {
				ns := string(rune('a'+i%26)) + time.Duration(i).String()
				l.foundNone(ns, l.begin(ns), now)
			}
			return len(l.none) <= quotaLiveMax
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.run(&quotaLive{}); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
