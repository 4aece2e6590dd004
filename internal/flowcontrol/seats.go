package flowcontrol

import (
	"math"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
)

// limits are a level's seat bounds derived from its configuration.
type limits struct {
	// nominal is ceil(serverLimit × shares ÷ Σ shares).
	nominal int
	// min is nominal less what the level lends; max is nominal plus what it may borrow.
	min, max int
}

// shareSum adds the nominal concurrency shares of every level (exempt ones count
// with their shares too, by default 0).
func shareSum(levels []*flowcontrolv1.PriorityLevelConfiguration) float64 {
	sum := 0.0
	for _, pl := range levels {
		sum += float64(shares(pl))
	}
	return sum
}

func shares(pl *flowcontrolv1.PriorityLevelConfiguration) int32 {
	switch {
	case pl.Spec.Limited != nil && pl.Spec.Limited.NominalConcurrencyShares != nil:
		return *pl.Spec.Limited.NominalConcurrencyShares
	case pl.Spec.Exempt != nil && pl.Spec.Exempt.NominalConcurrencyShares != nil:
		return *pl.Spec.Exempt.NominalConcurrencyShares
	case pl.Spec.Limited != nil:
		return 30 // the API default
	}
	return 0
}

// levelLimits computes pl's bounds out of serverLimit seats shared by sum shares.
// Without a borrowing limit a level may borrow up to the whole server.
func levelLimits(pl *flowcontrolv1.PriorityLevelConfiguration, serverLimit int, sum float64) limits {
	nominal := 0
	if sum > 0 {
		nominal = int(math.Ceil(float64(serverLimit) * float64(shares(pl)) / sum))
	}
	var lendable, borrowing *int32
	if l := pl.Spec.Limited; l != nil {
		lendable, borrowing = l.LendablePercent, l.BorrowingLimitPercent
	} else if e := pl.Spec.Exempt; e != nil {
		lendable = e.LendablePercent
	}
	lend := 0
	if lendable != nil {
		lend = int(math.Round(float64(nominal) * float64(*lendable) / 100))
	}
	borrow := serverLimit
	if borrowing != nil {
		borrow = int(math.Round(float64(nominal) * float64(*borrowing) / 100))
	}
	return limits{nominal: nominal, min: nominal - lend, max: nominal + borrow}
}

// allocItem is one limited level in a borrowing round.
type allocItem struct {
	lower, upper, target float64
}

// allocate divides total seats among items: every item gets clamp(f × target,
// lower, upper) for the fair fraction f that makes the sum total (found by
// bisection), as upstream's periodic concurrency adjustment does. When even the
// lower bounds exceed total they are returned as they are.
func allocate(total float64, items []allocItem) []float64 {
	out := make([]float64, len(items))
	sumAt := func(f float64) float64 {
		s := 0.0
		for i, it := range items {
			out[i] = math.Max(it.lower, math.Min(it.upper, f*it.target))
			s += out[i]
		}
		return s
	}
	if sumAt(0) >= total {
		return out
	}
	hi := 1.0
	for sumAt(hi) < total && hi < 1e12 {
		hi *= 2
	}
	lo := 0.0
	for i := 0; i < 64; i++ {
		mid := (lo + hi) / 2
		if sumAt(mid) < total {
			lo = mid
		} else {
			hi = mid
		}
	}
	sumAt(hi)
	return out
}
