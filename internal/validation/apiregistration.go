package validation

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// ValidateAPIService checks an APIService as upstream's aggregator does.
func ValidateAPIService(obj runtime.Object) field.ErrorList {
	return create(obj, validateAPIService)
}

// ValidateAPIServiceUpdate checks an APIService on update.
func ValidateAPIServiceUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(s, old *apiregistrationv1.APIService) field.ErrorList {
		return append(validateAPIService(s), objectMetaUpdate(&s.ObjectMeta, &old.ObjectMeta)...)
	})
}

func validateAPIService(s *apiregistrationv1.APIService) field.ErrorList {
	required := s.Spec.Version + "." + s.Spec.Group
	errs := objectMeta(&s.ObjectMeta, false, func(name string, prefix bool) []string {
		if msgs := path.ValidatePathSegmentName(name, prefix); len(msgs) > 0 {
			return msgs
		}
		if name != required {
			return []string{fmt.Sprintf("must be `spec.version+\".\"+spec.group`: %q", required)}
		}
		return nil
	})
	p := field.NewPath("spec")
	if s.Spec.Group == "" && s.Spec.Version != "v1" {
		errs = append(errs, field.Required(p.Child("group"), "only v1 may have an empty group and it better be legacy kube"))
	}
	if s.Spec.Group != "" {
		for _, msg := range validation.IsDNS1123Subdomain(s.Spec.Group) {
			errs = append(errs, field.Invalid(p.Child("group"), s.Spec.Group, msg))
		}
	}
	for _, msg := range validation.IsDNS1035Label(s.Spec.Version) {
		errs = append(errs, field.Invalid(p.Child("version"), s.Spec.Version, msg))
	}
	if s.Spec.GroupPriorityMinimum <= 0 || s.Spec.GroupPriorityMinimum > 20000 {
		errs = append(errs, field.Invalid(p.Child("groupPriorityMinimum"), s.Spec.GroupPriorityMinimum, "must be positive and less than 20000"))
	}
	if s.Spec.VersionPriority <= 0 || s.Spec.VersionPriority > 1000 {
		errs = append(errs, field.Invalid(p.Child("versionPriority"), s.Spec.VersionPriority, "must be positive and less than 1000"))
	}
	svc := s.Spec.Service
	if svc == nil {
		if len(s.Spec.CABundle) != 0 {
			errs = append(errs, field.Invalid(p.Child("caBundle"), fmt.Sprintf("%d bytes", len(s.Spec.CABundle)), "local APIServices may not have a caBundle"))
		}
		if s.Spec.InsecureSkipTLSVerify {
			errs = append(errs, field.Invalid(p.Child("insecureSkipTLSVerify"), s.Spec.InsecureSkipTLSVerify, "local APIServices may not have insecureSkipTLSVerify"))
		}
		return errs
	}
	if svc.Namespace == "" {
		errs = append(errs, field.Required(p.Child("service", "namespace"), ""))
	}
	if svc.Name == "" {
		errs = append(errs, field.Required(p.Child("service", "name"), ""))
	}
	if svc.Port != nil {
		if msgs := validation.IsValidPortNum(int(*svc.Port)); msgs != nil {
			errs = append(errs, field.Invalid(p.Child("service", "port"), *svc.Port, "port is not valid: "+strings.Join(msgs, ", ")))
		}
	}
	if s.Spec.InsecureSkipTLSVerify && len(s.Spec.CABundle) > 0 {
		errs = append(errs, field.Invalid(p.Child("insecureSkipTLSVerify"), s.Spec.InsecureSkipTLSVerify, "may not be true if caBundle is present"))
	}
	return errs
}
