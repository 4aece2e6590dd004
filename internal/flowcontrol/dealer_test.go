package flowcontrol

import (
	"fmt"
	"testing"
)

func TestDealHand(t *testing.T) {
	tests := []struct{ deck, hand int }{{1, 1}, {8, 1}, {8, 8}, {64, 6}, {128, 6}, {16, 4}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("deck%d_hand%d", tt.deck, tt.hand), func(t *testing.T) {
			counts := make([]int, tt.deck)
			for i := uint64(0); i < 2000; i++ {
				h := flowHash("fs", fmt.Sprint(i))
				hand := dealHand(h, tt.deck, tt.hand)
				if len(hand) != tt.hand {
					t.Fatalf("hand of %d cards, want %d", len(hand), tt.hand)
				}
				seen := map[int]bool{}
				for _, c := range hand {
					if c < 0 || c >= tt.deck || seen[c] {
						t.Fatalf("hand %v: card %d out of range or repeated", hand, c)
					}
					seen[c] = true
					counts[c]++
				}
				if again := dealHand(h, tt.deck, tt.hand); fmt.Sprint(again) != fmt.Sprint(hand) {
					t.Fatalf("not deterministic: %v then %v", hand, again)
				}
			}
			// Every queue gets some flows.
			for q, n := range counts {
				if n == 0 {
					t.Errorf("queue %d never dealt", q)
				}
			}
		})
	}
}

func TestDealHandInvalid(t *testing.T) {
	for _, tt := range []struct{ deck, hand int }{{0, 1}, {4, 0}, {4, 5}, {-1, -1}} {
		if got := dealHand(42, tt.deck, tt.hand); got != nil {
			t.Errorf("dealHand(%d, %d) = %v, want nil", tt.deck, tt.hand, got)
		}
	}
}

func FuzzDealHand(f *testing.F) {
	f.Add(uint64(0), 128, 6)
	f.Add(uint64(1<<63), 7, 7)
	f.Fuzz(func(t *testing.T, h uint64, deck, hand int) {
		if deck > 512 || hand > 64 {
			return
		}
		got := dealHand(h, deck, hand)
		seen := map[int]bool{}
		for _, c := range got {
			if c < 0 || c >= deck || seen[c] {
				t.Fatalf("bad hand %v for deck %d", got, deck)
			}
			seen[c] = true
		}
	})
}
