package admission

import (
	"fmt"
	"slices"
	"strings"
)

// OrderedPlugins is upstream's (v1.37) order of every admission plugin: enabled
// plugins always run in this order, whatever order the flags name them in.
var OrderedPlugins = []string{
	"AlwaysAdmit",
	"NamespaceAutoProvision",
	"NamespaceLifecycle",
	"NamespaceExists",
	"LimitPodHardAntiAffinityTopology",
	"LimitRanger",
	"ServiceAccount",
	"NodeRestriction",
	"TaintNodesByCondition",
	"AlwaysPullImages",
	"ImagePolicyWebhook",
	"PodSecurity",
	"PodNodeSelector",
	"Priority",
	"DefaultTolerationSeconds",
	"PodTolerationRestriction",
	"EventRateLimit",
	"ExtendedResourceToleration",
	"DefaultStorageClass",
	"StorageObjectInUseProtection",
	"PodGroupProtection",
	"OwnerReferencesPermissionEnforcement",
	"PersistentVolumeClaimResize",
	"RuntimeClass",
	"CertificateApproval",
	"CertificateSigning",
	"ClusterTrustBundleAttest",
	"CertificateSubjectRestriction",
	"DefaultIngressClass",
	"DenyServiceExternalIPs",
	"PodTopologyLabels",
	"NodeDeclaredFeatureValidator",
	"PodResizeValidator",
	"MutatingAdmissionPolicy",
	"MutatingAdmissionWebhook",
	"ValidatingAdmissionPolicy",
	"ValidatingAdmissionWebhook",
	"ResourceQuota",
	"AlwaysDeny",
}

// DefaultOnPlugins are the plugins upstream enables when no flag says otherwise.
var DefaultOnPlugins = []string{
	"NamespaceLifecycle",
	"LimitRanger",
	"ServiceAccount",
	"DefaultStorageClass",
	"PersistentVolumeClaimResize",
	"DefaultTolerationSeconds",
	"MutatingAdmissionWebhook",
	"ValidatingAdmissionWebhook",
	"ResourceQuota",
	"StorageObjectInUseProtection",
	"PodGroupProtection",
	"Priority",
	"TaintNodesByCondition",
	"RuntimeClass",
	"CertificateApproval",
	"CertificateSigning",
	"ClusterTrustBundleAttest",
	"CertificateSubjectRestriction",
	"DefaultIngressClass",
	"PodSecurity",
	"PodTopologyLabels",
	"MutatingAdmissionPolicy",
	"ValidatingAdmissionPolicy",
	"NodeDeclaredFeatureValidator",
	"PodResizeValidator",
}

// orderIndex is name's position in OrderedPlugins (unknown names sort last).
func orderIndex(name string) int {
	if i := slices.Index(OrderedPlugins, name); i >= 0 {
		return i
	}
	return len(OrderedPlugins)
}

// EnabledPlugins returns the plugins to run, in upstream's order: the default-on set
// plus enable minus disable. Unknown or contradictory names fail with upstream's
// messages.
func EnabledPlugins(enable, disable []string) ([]string, error) {
	var errs []string
	for _, n := range enable {
		if !slices.Contains(OrderedPlugins, n) {
			errs = append(errs, fmt.Sprintf("enable-admission-plugins plugin %q is unknown", n))
		}
	}
	for _, n := range disable {
		if !slices.Contains(OrderedPlugins, n) {
			errs = append(errs, fmt.Sprintf("disable-admission-plugins plugin %q is unknown", n))
		}
	}
	var both []string
	for _, n := range enable {
		if slices.Contains(disable, n) && !slices.Contains(both, n) {
			both = append(both, n)
		}
	}
	if len(both) > 0 {
		slices.Sort(both)
		errs = append(errs, fmt.Sprintf("[%s] in enable-admission-plugins and disable-admission-plugins overlapped", strings.Join(both, " ")))
	}
	if len(errs) > 0 {
		if len(errs) == 1 {
			return nil, fmt.Errorf("%s", errs[0])
		}
		return nil, fmt.Errorf("[%s]", strings.Join(errs, ", "))
	}
	var out []string
	for _, n := range OrderedPlugins {
		on := slices.Contains(DefaultOnPlugins, n) || slices.Contains(enable, n)
		if on && !slices.Contains(disable, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
