package webhook

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
	authorizationv1 "k8s.io/api/authorization/v1"
)

// matchCostLimit bounds one evaluation of a match condition, as Kubernetes' per-call
// CEL limit.
const matchCostLimit = 1_000_000

// matchEnv declares `request`: the SubjectAccessReviewSpec the webhook would get.
var matchEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("request", cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		ext.Strings(), ext.Lists(), ext.Sets(),
	)
})

// matcher holds a webhook's compiled match conditions: the webhook is asked only when
// every condition is true.
type matcher struct {
	sources  []string
	programs []cel.Program
}

// ValidateMatchConditions reports the first expression that does not compile to a
// bool over `request`, for configuration checks at load time.
func ValidateMatchConditions(exprs []string) error {
	_, err := compileMatchConditions(exprs)
	return err
}

// compileMatchConditions compiles CEL expressions over `request` that must return a
// bool; it reports the first that does not compile.
func compileMatchConditions(exprs []string) (*matcher, error) {
	env, err := matchEnv()
	if err != nil {
		return nil, err
	}
	m := &matcher{}
	for i, src := range exprs {
		checked, issues := env.Compile(src)
		if issues != nil && issues.Err() != nil {
			return nil, fmt.Errorf("matchConditions[%d].expression: compilation failed: %s", i, issues.String())
		}
		if checked.OutputType() != cel.BoolType {
			return nil, fmt.Errorf("matchConditions[%d].expression: must evaluate to bool", i)
		}
		prog, err := env.Program(checked, cel.CostLimit(matchCostLimit))
		if err != nil {
			return nil, fmt.Errorf("matchConditions[%d].expression: %w", i, err)
		}
		m.sources = append(m.sources, src)
		m.programs = append(m.programs, prog)
	}
	return m, nil
}

// matches reports whether every condition holds for spec.
func (m *matcher) matches(spec authorizationv1.SubjectAccessReviewSpec) (bool, error) {
	if m == nil || len(m.programs) == 0 {
		return true, nil
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return false, err
	}
	var request map[string]any
	if err := json.Unmarshal(raw, &request); err != nil {
		return false, err
	}
	for i, p := range m.programs {
		out, _, err := p.Eval(map[string]any{"request": request})
		if err != nil {
			return false, fmt.Errorf("evaluating match condition %q: %w", m.sources[i], err)
		}
		ok, isBool := out.Value().(bool)
		if !isBool {
			return false, fmt.Errorf("match condition %q did not return a bool", m.sources[i])
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
