package builtin

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// admissionregistration serves admissionregistration.k8s.io/v1: webhook
// configurations and CEL admission policies with their bindings. All are
// cluster-scoped, in the api-extensions category, track generation and refuse
// updates without a resourceVersion.
func admissionregistration() []*registry.Resource {
	kind := func(kind, name, singular string, table *registry.Table, validate func(runtime.Object) field.ErrorList,
		validateUpdate func(obj, old runtime.Object) field.ErrorList) *registry.Resource {
		gv := admissionregistrationv1.SchemeGroupVersion
		return &registry.Resource{
			GroupVersion: gv, Name: name, SingularName: singular, Kind: kind, Categories: []string{"api-extensions"},
			StorageKind: gv.WithKind(kind), KeyPrefix: name,
			TrackGeneration: true, RequireResourceVersion: true,
			Validate: validate, ValidateUpdate: validateUpdate, Table: table,
		}
	}
	vwc := kind("ValidatingWebhookConfiguration", "validatingwebhookconfigurations", "validatingwebhookconfiguration",
		printers.ValidatingWebhookConfiguration(), v.ValidateValidatingWebhookConfiguration, v.ValidateValidatingWebhookConfigurationUpdate)
	mwc := kind("MutatingWebhookConfiguration", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
		printers.MutatingWebhookConfiguration(), v.ValidateMutatingWebhookConfiguration, v.ValidateMutatingWebhookConfigurationUpdate)
	vap := kind("ValidatingAdmissionPolicy", "validatingadmissionpolicies", "validatingadmissionpolicy",
		printers.ValidatingAdmissionPolicy(), v.ValidateValidatingAdmissionPolicy, v.ValidateValidatingAdmissionPolicyUpdate)
	vap.Status, vap.ValidateStatusUpdate = true, v.ValidateValidatingAdmissionPolicyStatusUpdate
	vapb := kind("ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", "validatingadmissionpolicybinding",
		printers.ValidatingAdmissionPolicyBinding(), v.ValidateValidatingAdmissionPolicyBinding, v.ValidateValidatingAdmissionPolicyBindingUpdate)
	map_ := kind("MutatingAdmissionPolicy", "mutatingadmissionpolicies", "mutatingadmissionpolicy",
		printers.MutatingAdmissionPolicy(), v.ValidateMutatingAdmissionPolicy, v.ValidateMutatingAdmissionPolicyUpdate)
	mapb := kind("MutatingAdmissionPolicyBinding", "mutatingadmissionpolicybindings", "mutatingadmissionpolicybinding",
		printers.MutatingAdmissionPolicyBinding(), v.ValidateMutatingAdmissionPolicyBinding, v.ValidateMutatingAdmissionPolicyBindingUpdate)
	return []*registry.Resource{mwc, vwc, vap, vapb, map_, mapb}
}
