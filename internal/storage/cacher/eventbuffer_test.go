package cacher

import "testing"

// TestEventBufferGrows checks that the event buffer, which starts small and grows
// to EventBuffer, keeps the newest events in order and forgets only past its limit.
func TestEventBufferGrows(t *testing.T) {
	const limit = 40
	tests := []struct {
		name      string
		pushed    int
		wantLen   int   // the buffer's size afterwards
		wantFirst int64 // the oldest revision kept
	}{
		{name: "fewer than the initial size", pushed: 10, wantLen: initialEventBuffer, wantFirst: 1},
		{name: "exactly the initial size", pushed: initialEventBuffer, wantLen: initialEventBuffer, wantFirst: 1},
		{name: "one more grows", pushed: initialEventBuffer + 1, wantLen: 2 * initialEventBuffer, wantFirst: 1},
		{name: "up to the limit", pushed: limit, wantLen: limit, wantFirst: 1},
		{name: "past the limit forgets the oldest", pushed: limit + 25, wantLen: limit, wantFirst: 26},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cacher{cfg: Config{EventBuffer: limit}, events: make([]*event, initialEventBuffer)}
			for rv := int64(1); rv <= int64(tc.pushed); rv++ {
				c.pushLocked(&event{rv: rv})
			}
			if len(c.events) != tc.wantLen {
				t.Errorf("buffer size %d, want %d", len(c.events), tc.wantLen)
			}
			evs, ok := c.eventsAfterLocked(tc.wantFirst - 1)
			if !ok {
				t.Fatalf("events after %d were forgotten (buffer starts after %d)", tc.wantFirst-1, c.bufferStart)
			}
			if want := tc.pushed - int(tc.wantFirst) + 1; len(evs) != want {
				t.Fatalf("got %d events, want %d", len(evs), want)
			}
			for i, e := range evs {
				if want := tc.wantFirst + int64(i); e.rv != want {
					t.Fatalf("event %d has revision %d, want %d", i, e.rv, want)
				}
			}
			if tc.wantFirst > 1 {
				if _, ok := c.eventsAfterLocked(tc.wantFirst - 2); ok {
					t.Errorf("events after %d should be forgotten", tc.wantFirst-2)
				}
			}
		})
	}
}
