package controlplane

import (
	"fmt"
	"slices"
	"strings"
)

// Controller names as kube-controller-manager spells them, with the older aliases it
// still accepts, so one --controllers value means the same to both.
const (
	ServiceAccount         = "serviceaccount-controller"
	Namespace              = "namespace-controller"
	RootCACertPublisher    = "root-ca-certificate-publisher-controller"
	ClusterRoleAggregation = "clusterrole-aggregation-controller"
	GarbageCollector       = "garbage-collector-controller"
	ResourceQuota          = "resourcequota-controller"
	// ValidatingAdmissionPolicyStatus writes the policies' status.typeChecking; kapi
	// runs it inside its ValidatingAdmissionPolicy plugin, which compiles them anyway.
	ValidatingAdmissionPolicyStatus = "validatingadmissionpolicy-status-controller"
)

// aliases maps kube-controller-manager's older names to the current ones.
var aliases = map[string]string{
	"serviceaccount":                   ServiceAccount,
	"namespace":                        Namespace,
	"root-ca-cert-publisher":           RootCACertPublisher,
	"clusterrole-aggregation":          ClusterRoleAggregation,
	"garbagecollector":                 GarbageCollector,
	"resourcequota":                    ResourceQuota,
	"validatingadmissionpolicy-status": ValidatingAdmissionPolicyStatus,
}

// Known lists the controllers kapi can run, in start order.
func Known() []string {
	return []string{ServiceAccount, RootCACertPublisher, Namespace, ClusterRoleAggregation, GarbageCollector, ResourceQuota,
		ValidatingAdmissionPolicyStatus}
}

// Selection is a parsed --controllers value: which controllers run.
type Selection struct {
	enabled map[string]bool
}

// ParseSelection reads kube-controller-manager's --controllers syntax: "*" turns on
// every controller that is on by default, "name" turns one on and "-name" off; an
// explicit choice beats "*", and an empty list turns everything off. Unknown names
// are an error, as in kube-controller-manager.
func ParseSelection(values []string) (Selection, error) {
	explicit := map[string]bool{}
	star := false
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			continue
		case v == "*":
			star = true
			continue
		}
		on := true
		name := v
		if strings.HasPrefix(v, "-") {
			on, name = false, v[1:]
		}
		if canonical, ok := aliases[name]; ok {
			name = canonical
		}
		if !slices.Contains(Known(), name) {
			return Selection{}, fmt.Errorf("%q is not in the list of known controllers", v)
		}
		if _, seen := explicit[name]; !seen {
			explicit[name] = on // the first mention wins, as upstream's scan does
		}
	}
	sel := Selection{enabled: map[string]bool{}}
	for _, name := range Known() {
		on, ok := explicit[name]
		if !ok {
			on = star
		}
		sel.enabled[name] = on
	}
	return sel, nil
}

// Enabled reports whether the controller runs.
func (s Selection) Enabled(name string) bool { return s.enabled[name] }

// Any reports whether at least one controller runs.
func (s Selection) Any() bool {
	for _, on := range s.enabled {
		if on {
			return true
		}
	}
	return false
}
