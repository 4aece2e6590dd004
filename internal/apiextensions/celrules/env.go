package celrules

import (
	"fmt"
	"sync"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
)

// Names of the variables every rule may use.
const (
	varSelf    = "self"
	varOldSelf = "oldSelf"
)

var baseEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(celenv.LibraryOptions()...)
})

// ruleEnvs holds the environments rules of one schema node compile in.
type ruleEnvs struct {
	plain    *cel.Env // oldSelf has self's type
	optional *cel.Env // oldSelf is optional(self's type); built on first use
	selfType *cel.Type
	provider *typeProvider
	dt       *declType
}

// newRuleEnvs declares self and oldSelf typed by dt, whose object types get a
// fresh name so rules cannot depend on them.
func newRuleEnvs(dt *declType) (*ruleEnvs, error) {
	base, err := baseEnv()
	if err != nil {
		return nil, err
	}
	objects := map[string]*declType{}
	dt.assignNames(fmt.Sprintf("selfType%d", time.Now().Nanosecond()), objects)
	r := &ruleEnvs{
		selfType: dt.celType(),
		provider: &typeProvider{base: base.CELTypeProvider(), objects: objects},
		dt:       dt,
	}
	r.plain, err = base.Extend(
		cel.CustomTypeProvider(r.provider),
		cel.Variable(varSelf, r.selfType),
		cel.Variable(varOldSelf, r.selfType),
	)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// env returns the environment of a rule, with an optional oldSelf when asked.
func (r *ruleEnvs) env(optionalOldSelf bool) (*cel.Env, error) {
	if !optionalOldSelf {
		return r.plain, nil
	}
	if r.optional == nil {
		base, err := baseEnv()
		if err != nil {
			return nil, err
		}
		r.optional, err = base.Extend(
			cel.CustomTypeProvider(r.provider),
			cel.Variable(varSelf, r.selfType),
			cel.Variable(varOldSelf, cel.OptionalType(r.selfType)),
		)
		if err != nil {
			return nil, err
		}
	}
	return r.optional, nil
}
