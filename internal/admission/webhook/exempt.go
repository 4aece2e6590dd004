package webhook

import "k8s.io/apimachinery/pkg/runtime/schema"

// Exempt reports whether gvr configures admission itself: webhooks and policies
// never see these objects, as upstream, so a broken webhook or policy can always
// be removed.
func Exempt(gvr schema.GroupVersionResource) bool {
	if gvr.Group != "admissionregistration.k8s.io" {
		return false
	}
	switch gvr.Resource {
	case "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicybindings",
		"mutatingadmissionpolicies", "mutatingadmissionpolicybindings":
		return true
	}
	return false
}
