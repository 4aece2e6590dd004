package builtin

import (
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// apiExtensions serves the storage of apiextensions.k8s.io/v1
// CustomResourceDefinitions: stored as JSON in v1beta1, as upstream. Serving the
// custom resources they define is the CRD server's job.
func apiExtensions() []*registry.Resource {
	gv := apiextensionsv1.SchemeGroupVersion
	crd := &registry.Resource{
		GroupVersion: gv, Kind: "CustomResourceDefinition", Name: "customresourcedefinitions", SingularName: "customresourcedefinition",
		ShortNames: []string{"crd", "crds"}, Categories: []string{"api-extensions"},
		StorageKind: gv.WithKind("CustomResourceDefinition"), EncodeAs: apiextensionsv1beta1.SchemeGroupVersion.WithKind("CustomResourceDefinition"),
		StoreAsJSON: true, KeyPrefix: "apiextensions.k8s.io/customresourcedefinitions",
		// Upstream's CRD status strategy resets the metadata from itself, so a
		// status update does change labels and annotations there; kapi does the same.
		Status: true, StatusTakesMetadata: true,
		Validate: v.ValidateCustomResourceDefinition, ValidateUpdate: v.ValidateCustomResourceDefinitionUpdate,
		ValidateStatusUpdate: v.ValidateCustomResourceDefinitionStatus,
		Table:                printers.CustomResourceDefinition(),
	}
	crd.PrepareForCreate = func(obj runtime.Object) {
		c := obj.(*apiextensionsv1.CustomResourceDefinition)
		c.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
		c.Generation = 1
		addStoredVersion(c)
	}
	crd.PrepareForUpdate = func(obj, old runtime.Object) {
		c, o := obj.(*apiextensionsv1.CustomResourceDefinition), old.(*apiextensionsv1.CustomResourceDefinition)
		c.Status = o.Status
		if !equality.Semantic.DeepEqual(c.Spec, o.Spec) {
			c.Generation = o.Generation + 1
		}
		addStoredVersion(c)
	}
	return []*registry.Resource{crd}
}

// addStoredVersion records the storage versions in status.storedVersions, which
// lists every version objects may be stored in.
func addStoredVersion(c *apiextensionsv1.CustomResourceDefinition) {
	for _, ver := range c.Spec.Versions {
		if ver.Storage && !slices.Contains(c.Status.StoredVersions, ver.Name) {
			c.Status.StoredVersions = append(c.Status.StoredVersions, ver.Name)
		}
	}
}

// apiRegistration serves apiregistration.k8s.io/v1 APIServices (stored as JSON): the
// server's own group versions are Local; aggregation proxies the others.
func apiRegistration() []*registry.Resource {
	gv := apiregistrationv1.SchemeGroupVersion
	svc := &registry.Resource{
		GroupVersion: gv, Kind: "APIService", Name: "apiservices", SingularName: "apiservice",
		Categories: []string{"api-extensions"}, StorageKind: gv.WithKind("APIService"),
		StoreAsJSON: true, KeyPrefix: "apiregistration.k8s.io/apiservices",
		Status: true, Validate: v.ValidateAPIService, ValidateUpdate: v.ValidateAPIServiceUpdate,
		ValidateName: path.ValidatePathSegmentName, Table: printers.APIService(),
	}
	svc.PrepareForCreate = func(obj runtime.Object) {
		s := obj.(*apiregistrationv1.APIService)
		s.Status = apiregistrationv1.APIServiceStatus{}
		if s.Spec.Service == nil {
			s.Status.Conditions = []apiregistrationv1.APIServiceCondition{LocalAvailable()}
		}
	}
	svc.PrepareForUpdate = func(obj, old runtime.Object) {
		obj.(*apiregistrationv1.APIService).Status = old.(*apiregistrationv1.APIService).Status
	}
	return []*registry.Resource{svc}
}

// LocalAvailable is the Available condition of an APIService the server serves itself.
func LocalAvailable() apiregistrationv1.APIServiceCondition {
	return apiregistrationv1.APIServiceCondition{
		Type: apiregistrationv1.Available, Status: apiregistrationv1.ConditionTrue,
		Reason: "Local", Message: "Local APIServices are always available",
		LastTransitionTime: metav1.Now(),
	}
}
