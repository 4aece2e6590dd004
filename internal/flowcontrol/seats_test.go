package flowcontrol

import (
	"math"
	"testing"

	"github.com/kapi-dev/kapi/internal/controllers/flowcontrolbootstrap"
)

// TestBootstrapNominalLimits checks the seat bounds upstream computes for its
// bootstrap configuration at the default 400 + 200 seats.
func TestBootstrapNominalLimits(t *testing.T) {
	levels := append(flowcontrolbootstrap.Mandatory().PriorityLevels, flowcontrolbootstrap.Suggested().PriorityLevels...)
	sum := shareSum(levels)
	want := map[string]limits{
		"exempt":          {nominal: 0, min: 0, max: 600},
		"catch-all":       {nominal: 13, min: 13, max: 613},
		"global-default":  {nominal: 49, min: 24, max: 649},
		"leader-election": {nominal: 25, min: 25, max: 625},
		"node-high":       {nominal: 98, min: 73, max: 698},
		"system":          {nominal: 74, min: 50, max: 674},
		"workload-high":   {nominal: 98, min: 49, max: 698},
		"workload-low":    {nominal: 245, min: 24, max: 845},
	}
	for _, pl := range levels {
		t.Run(pl.Name, func(t *testing.T) {
			if got := levelLimits(pl, 600, sum); got != want[pl.Name] {
				t.Errorf("got %+v, want %+v", got, want[pl.Name])
			}
		})
	}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name  string
		total float64
		items []allocItem
		want  []float64
	}{
		{"proportional to target", 30, []allocItem{{0, 100, 10}, {0, 100, 20}}, []float64{10, 20}},
		{"upper bound caps and the rest goes elsewhere", 30, []allocItem{{0, 5, 10}, {0, 100, 10}}, []float64{5, 25}},
		{"lower bounds hold", 10, []allocItem{{8, 100, 1}, {0, 100, 100}}, []float64{8, 2}},
		{"lower bounds beyond total", 5, []allocItem{{4, 10, 1}, {4, 10, 1}}, []float64{4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allocate(tt.total, tt.items)
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > 0.01 {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
