package celrules

import (
	"fmt"
	"math"

	"github.com/google/cel-go/checker"
)

// Cost limits of kube-apiserver v1.37 (k8s.io/apiserver/pkg/apis/cel and the
// apiextensions validation).
const (
	// PerCallLimit bounds the runtime cost of one rule evaluation.
	PerCallLimit = 1000000
	// RuntimeCELCostBudget bounds the runtime cost of all rules on one object.
	RuntimeCELCostBudget = 10000000
	// StaticEstimatedCostLimit bounds the estimated cost of one rule times the
	// number of times it may run.
	StaticEstimatedCostLimit = 10000000
	// StaticEstimatedCRDCostLimit bounds the estimated cost of all rules of a schema.
	StaticEstimatedCRDCostLimit = 100000000
	// checkFrequency is how many comprehension iterations run between checks for
	// cancellation.
	checkFrequency = 100
	// maxMessageExpressionLength bounds the evaluated messageExpression.
	maxMessageExpressionLength = 5 * 1024
)

// sizeEstimator gives the checker the largest size of values reached from self
// or oldSelf, from the schema's maxLength, maxItems and maxProperties.
type sizeEstimator struct{ root *declType }

func (e sizeEstimator) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	path := n.Path()
	if len(path) == 0 {
		return nil
	}
	cur := e.root
	for _, step := range path[1:] {
		switch step {
		case "@items", "@values":
			if cur.elem == nil {
				return nil
			}
			cur = cur.elem
		case "@keys":
			// upstream declares map keys as plain strings with no size: 0.
			if cur.kind != kindMap {
				return nil
			}
			return &checker.SizeEstimate{Min: 0, Max: 0}
		default:
			ft, ok := cur.fields[step]
			if !ok || ft == nil {
				return nil
			}
			cur = ft
		}
	}
	return &checker.SizeEstimate{Min: 0, Max: uint64(cur.maxElements)}
}

func (sizeEstimator) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	return nil
}

// maxCardinality is how often a value whose JSON takes at least minSize bytes
// can appear in the largest request.
func maxCardinality(minSize int64) uint64 {
	return uint64(maxRequestSizeBytes / (minSize + 1))
}

// mulSaturating multiplies without overflowing past MaxUint64.
func mulSaturating(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	if math.MaxUint64/a < b {
		return math.MaxUint64
	}
	return a * b
}

// costErrorMessage is upstream's text for an estimated cost over its limit.
func costErrorMessage(costName string, cost, limit uint64) string {
	factor := float64(cost) / float64(limit)
	var f string
	switch {
	case factor > 100.0:
		f = "more than 100x"
	case factor < 1.5:
		f = fmt.Sprintf("%fx", factor)
	default:
		f = fmt.Sprintf("%.1fx", factor)
	}
	return fmt.Sprintf("%s exceeds budget by factor of %s (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)", costName, f)
}
