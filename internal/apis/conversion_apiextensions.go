package apis

import (
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerCRDConversions converts CustomResourceDefinitions between v1 (served) and
// v1beta1 (what upstream writes to etcd) through the group's internal form, with the
// group's own generated conversions.
func registerCRDConversions(s *runtime.Scheme) error {
	if err := s.AddConversionFunc((*apiextensionsv1.CustomResourceDefinition)(nil), (*apiextensionsv1beta1.CustomResourceDefinition)(nil), func(a, b any, scope conversion.Scope) error {
		var hub apiextensions.CustomResourceDefinition
		if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(a.(*apiextensionsv1.CustomResourceDefinition), &hub, scope); err != nil {
			return err
		}
		return apiextensionsv1beta1.Convert_apiextensions_CustomResourceDefinition_To_v1beta1_CustomResourceDefinition(&hub, b.(*apiextensionsv1beta1.CustomResourceDefinition), scope)
	}); err != nil {
		return err
	}
	return s.AddConversionFunc((*apiextensionsv1beta1.CustomResourceDefinition)(nil), (*apiextensionsv1.CustomResourceDefinition)(nil), func(a, b any, scope conversion.Scope) error {
		var hub apiextensions.CustomResourceDefinition
		if err := apiextensionsv1beta1.Convert_v1beta1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(a.(*apiextensionsv1beta1.CustomResourceDefinition), &hub, scope); err != nil {
			return err
		}
		return apiextensionsv1.Convert_apiextensions_CustomResourceDefinition_To_v1_CustomResourceDefinition(&hub, b.(*apiextensionsv1.CustomResourceDefinition), scope)
	})
}
