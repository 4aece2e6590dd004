package validation

import (
	"fmt"
	"net"
	"slices"

	corev1 "k8s.io/api/core/v1"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// sortedNames orders a resource list so that error lists are deterministic.
func sortedNames(list corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(list))
	for k := range list {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// sortedKeys orders map keys so that error lists are deterministic.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// dns1123Label is the check of container, volume and port names.
func dns1123Label(value string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Label(value) {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}

// dns1123Subdomain is the check of host names and class names.
func dns1123Subdomain(value string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range utilvalidation.IsDNS1123Subdomain(value) {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}

// qualifiedName is the check of label keys and reporting controllers.
func qualifiedName(value string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range utilvalidation.IsQualifiedName(value) {
		allErrs = append(allErrs, field.Invalid(fldPath, value, msg))
	}
	return allErrs
}

// enum reports "" as Required and anything outside valid as NotSupported.
func enum[T ~string](value T, valid []T, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	if !slices.Contains(valid, value) {
		return field.ErrorList{field.NotSupported(fldPath, value, valid)}
	}
	return nil
}

// strictIP mirrors the StrictIPCIDRValidation gate, on by default in v1.37.
const strictIP = true

// endpointIP checks an address used as a destination: a valid IP that is neither
// unspecified, loopback nor link-local.
func endpointIP(ip string, fldPath *field.Path) field.ErrorList {
	if errs := utilvalidation.IsValidIPForLegacyField(fldPath, ip, strictIP, nil); len(errs) != 0 {
		return errs
	}
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return nil
	}
	var allErrs field.ErrorList
	if parsed.IsUnspecified() {
		allErrs = append(allErrs, field.Invalid(fldPath, ip, fmt.Sprintf("may not be unspecified (%v)", ip)))
	}
	if parsed.IsLoopback() {
		allErrs = append(allErrs, field.Invalid(fldPath, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
	}
	if parsed.IsLinkLocalUnicast() {
		allErrs = append(allErrs, field.Invalid(fldPath, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
	}
	if parsed.IsLinkLocalMulticast() {
		allErrs = append(allErrs, field.Invalid(fldPath, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
	}
	return allErrs
}
