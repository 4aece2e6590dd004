package defaults

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerFlowcontrol installs the defaults of flowcontrol.apiserver.k8s.io/v1.
func registerFlowcontrol(s *runtime.Scheme) {
	add(s, flowSchema)
	addList(s, func(l *flowcontrolv1.FlowSchemaList) []flowcontrolv1.FlowSchema { return l.Items }, flowSchema)
	add(s, priorityLevelConfiguration)
	addList(s, func(l *flowcontrolv1.PriorityLevelConfigurationList) []flowcontrolv1.PriorityLevelConfiguration {
		return l.Items
	}, priorityLevelConfiguration)
}

// flowSchema gives a schema without a matching precedence the middle value 1000.
func flowSchema(fs *flowcontrolv1.FlowSchema) {
	orDefault(&fs.Spec.MatchingPrecedence, 1000)
}

// priorityLevelConfiguration defaults shares, lending and queuing. In v1 an unset
// nominalConcurrencyShares of a limited level means 30, while an explicit 0 stays 0.
func priorityLevelConfiguration(pl *flowcontrolv1.PriorityLevelConfiguration) {
	if l := pl.Spec.Limited; l != nil {
		ptrOrDefault(&l.NominalConcurrencyShares, 30)
		ptrOrDefault(&l.LendablePercent, 0)
		if q := l.LimitResponse.Queuing; q != nil {
			orDefault(&q.HandSize, 8)
			orDefault(&q.Queues, 64)
			orDefault(&q.QueueLengthLimit, 50)
		}
	}
	if e := pl.Spec.Exempt; e != nil {
		ptrOrDefault(&e.NominalConcurrencyShares, 0)
		ptrOrDefault(&e.LendablePercent, 0)
	}
}
