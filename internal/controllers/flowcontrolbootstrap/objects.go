package flowcontrolbootstrap

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Configuration is a set of bootstrap objects.
type Configuration struct {
	PriorityLevels []*flowcontrolv1.PriorityLevelConfiguration
	FlowSchemas    []*flowcontrolv1.FlowSchema
}

// Mandatory returns the objects the server always restores: the exempt and catch-all
// priority levels and flow schemas.
func Mandatory() Configuration {
	return Configuration{
		PriorityLevels: []*flowcontrolv1.PriorityLevelConfiguration{
			exemptLevel(flowcontrolv1.PriorityLevelConfigurationNameExempt),
			limitedLevel(flowcontrolv1.PriorityLevelConfigurationNameCatchAll, 5, 0, nil),
		},
		FlowSchemas: []*flowcontrolv1.FlowSchema{
			flowSchema(flowcontrolv1.FlowSchemaNameExempt, flowcontrolv1.PriorityLevelConfigurationNameExempt, 1, "",
				everything(group("system:masters"))),
			flowSchema(flowcontrolv1.FlowSchemaNameCatchAll, flowcontrolv1.PriorityLevelConfigurationNameCatchAll, 10000, flowcontrolv1.FlowDistinguisherMethodByUserType,
				everything(group("system:unauthenticated"), group("system:authenticated"))),
		},
	}
}

// Suggested returns the objects upstream suggests; users may take them over by
// annotating apf.kubernetes.io/autoupdate-spec=false.
func Suggested() Configuration {
	byUser, byNamespace := flowcontrolv1.FlowDistinguisherMethodByUserType, flowcontrolv1.FlowDistinguisherMethodByNamespaceType
	kubeSystemSAs := serviceAccount("kube-system", flowcontrolv1.NameAll)
	return Configuration{
		PriorityLevels: []*flowcontrolv1.PriorityLevelConfiguration{
			limitedLevel("system", 30, 33, queuing(64, 6, 50)),
			limitedLevel("node-high", 40, 25, queuing(64, 6, 50)),
			limitedLevel("leader-election", 10, 0, queuing(16, 4, 50)),
			limitedLevel("workload-high", 40, 50, queuing(128, 6, 50)),
			limitedLevel("workload-low", 100, 90, queuing(128, 6, 50)),
			limitedLevel("global-default", 20, 50, queuing(128, 6, 50)),
		},
		FlowSchemas: []*flowcontrolv1.FlowSchema{
			flowSchema("system-nodes", "system", 500, byUser, everything(group("system:nodes"))),
			flowSchema("system-node-high", "node-high", 400, byUser, flowcontrolv1.PolicyRulesWithSubjects{
				Subjects: []flowcontrolv1.Subject{group("system:nodes")},
				ResourceRules: []flowcontrolv1.ResourcePolicyRule{
					{Verbs: all(), APIGroups: []string{""}, Resources: []string{"nodes", "nodes/status"}, ClusterScope: true, Namespaces: all()},
					{Verbs: all(), APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Namespaces: all()},
				},
			}),
			flowSchema("probes", flowcontrolv1.PriorityLevelConfigurationNameExempt, 2, "", flowcontrolv1.PolicyRulesWithSubjects{
				Subjects: []flowcontrolv1.Subject{group("system:unauthenticated"), group("system:authenticated")},
				NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{
					{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/readyz", "/livez"}},
				},
			}),
			flowSchema("system-leader-election", "leader-election", 100, byUser, flowcontrolv1.PolicyRulesWithSubjects{
				Subjects: []flowcontrolv1.Subject{user("system:kube-controller-manager"), user("system:kube-scheduler"), kubeSystemSAs},
				ResourceRules: []flowcontrolv1.ResourcePolicyRule{
					{Verbs: []string{"get", "create", "update"}, APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Namespaces: all()},
				},
			}),
			flowSchema("kube-controller-manager", "workload-high", 800, byNamespace, everything(user("system:kube-controller-manager"))),
			flowSchema("kube-scheduler", "workload-high", 800, byNamespace, everything(user("system:kube-scheduler"))),
			flowSchema("kube-system-service-accounts", "workload-high", 900, byNamespace, everything(kubeSystemSAs)),
			flowSchema("service-accounts", "workload-low", 9000, byUser, everything(group("system:serviceaccounts"))),
			flowSchema("global-default", "global-default", 9900, byUser, everything(group("system:unauthenticated"), group("system:authenticated"))),
		},
	}
}

// autoUpdateAnnotations is what every bootstrap object carries when created.
func autoUpdateAnnotations() map[string]string {
	return map[string]string{flowcontrolv1.AutoUpdateAnnotationKey: "true"}
}

func exemptLevel(name string) *flowcontrolv1.PriorityLevelConfiguration {
	return &flowcontrolv1.PriorityLevelConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: flowcontrolv1.SchemeGroupVersion.String(), Kind: "PriorityLevelConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: autoUpdateAnnotations()},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type:   flowcontrolv1.PriorityLevelEnablementExempt,
			Exempt: &flowcontrolv1.ExemptPriorityLevelConfiguration{NominalConcurrencyShares: ptr(0), LendablePercent: ptr(0)},
		},
	}
}

// limitedLevel returns a Limited level that rejects when q is nil and queues otherwise.
func limitedLevel(name string, shares, lendable int32, q *flowcontrolv1.QueuingConfiguration) *flowcontrolv1.PriorityLevelConfiguration {
	resp := flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject}
	if q != nil {
		resp = flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: q}
	}
	return &flowcontrolv1.PriorityLevelConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: flowcontrolv1.SchemeGroupVersion.String(), Kind: "PriorityLevelConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: autoUpdateAnnotations()},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type: flowcontrolv1.PriorityLevelEnablementLimited,
			Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: ptr(shares),
				LendablePercent:          ptr(lendable),
				LimitResponse:            resp,
			},
		},
	}
}

func queuing(queues, handSize, queueLength int32) *flowcontrolv1.QueuingConfiguration {
	return &flowcontrolv1.QueuingConfiguration{Queues: queues, HandSize: handSize, QueueLengthLimit: queueLength}
}

func flowSchema(name, level string, precedence int32, distinguisher flowcontrolv1.FlowDistinguisherMethodType, rules ...flowcontrolv1.PolicyRulesWithSubjects) *flowcontrolv1.FlowSchema {
	fs := &flowcontrolv1.FlowSchema{
		TypeMeta:   metav1.TypeMeta{APIVersion: flowcontrolv1.SchemeGroupVersion.String(), Kind: "FlowSchema"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: autoUpdateAnnotations()},
		Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: level},
			MatchingPrecedence:         precedence,
			Rules:                      rules,
		},
	}
	if distinguisher != "" {
		fs.Spec.DistinguisherMethod = &flowcontrolv1.FlowDistinguisherMethod{Type: distinguisher}
	}
	return fs
}

// everything matches every request of the subjects.
func everything(subjects ...flowcontrolv1.Subject) flowcontrolv1.PolicyRulesWithSubjects {
	return flowcontrolv1.PolicyRulesWithSubjects{
		Subjects: subjects,
		ResourceRules: []flowcontrolv1.ResourcePolicyRule{
			{Verbs: all(), APIGroups: all(), Resources: all(), ClusterScope: true, Namespaces: all()},
		},
		NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: all(), NonResourceURLs: all()}},
	}
}

func all() []string { return []string{"*"} }

func group(name string) flowcontrolv1.Subject {
	return flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindGroup, Group: &flowcontrolv1.GroupSubject{Name: name}}
}

func user(name string) flowcontrolv1.Subject {
	return flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: name}}
}

func serviceAccount(namespace, name string) flowcontrolv1.Subject {
	return flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindServiceAccount,
		ServiceAccount: &flowcontrolv1.ServiceAccountSubject{Namespace: namespace, Name: name}}
}

func ptr(v int32) *int32 { return &v }
