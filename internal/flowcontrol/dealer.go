package flowcontrol

import (
	"hash/fnv"
	"slices"
)

// dealHand returns handSize distinct queue indexes in [0, deckSize) chosen by hash:
// shuffle sharding, so that two flows rarely share their whole hand and one heavy
// flow cannot fill every queue a light flow may use. The hash is read as digits of
// a mixed radix (deckSize, deckSize-1, ...); digit i picks among the cards still in
// the deck. Invalid sizes yield an empty hand.
func dealHand(hash uint64, deckSize, handSize int) []int {
	if deckSize <= 0 || handSize <= 0 || handSize > deckSize {
		return nil
	}
	hand := make([]int, 0, handSize)
	// taken holds the cards dealt so far, sorted, to map a digit to a free card.
	taken := make([]int, 0, handSize)
	for i := 0; i < handSize; i++ {
		remaining := uint64(deckSize - i)
		card := int(hash % remaining)
		hash /= remaining
		// The card is the digit-th one not yet dealt.
		for _, t := range taken {
			if card >= t {
				card++
			}
		}
		hand = append(hand, card)
		pos, _ := slices.BinarySearch(taken, card)
		taken = slices.Insert(taken, pos, card)
	}
	return hand
}

// flowHash identifies a flow: the schema's name and the distinguisher.
func flowHash(schema, distinguisher string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(schema))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(distinguisher))
	return h.Sum64()
}
