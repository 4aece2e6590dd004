package validation

import (
	"encoding/json"
	"maps"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateNamespace checks a namespace on create.
func ValidateNamespace(obj runtime.Object) field.ErrorList {
	return create(obj, validateNamespace)
}

func validateNamespace(ns *corev1.Namespace) field.ErrorList {
	allErrs := objectMeta(&ns.ObjectMeta, false, apivalidation.ValidateNamespaceName)
	for _, f := range ns.Spec.Finalizers {
		p := field.NewPath("spec", "finalizers")
		allErrs = append(allErrs, apivalidation.ValidateFinalizerName(string(f), p)...)
		allErrs = append(allErrs, kubeFinalizerName(string(f), p)...)
	}
	return allErrs
}

// ValidateNamespaceUpdate checks a namespace update; only metadata rules apply.
func ValidateNamespaceUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ns, old *corev1.Namespace) field.ErrorList {
		return append(objectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta), validateNamespace(ns)...)
	})
}

// ValidateNamespaceStatusUpdate keeps the phase consistent with deletionTimestamp.
func ValidateNamespaceStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ns, old *corev1.Namespace) field.ErrorList {
		allErrs := objectMetaUpdate(&ns.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("status", "Phase")
		if ns.DeletionTimestamp.IsZero() {
			if ns.Status.Phase != corev1.NamespaceActive {
				allErrs = append(allErrs, field.Invalid(p, ns.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty"))
			}
		} else if ns.Status.Phase != corev1.NamespaceTerminating {
			allErrs = append(allErrs, field.Invalid(p, ns.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"))
		}
		return allErrs
	})
}

// ValidateConfigMap checks keys, the data/binaryData overlap and the 1 MiB limit.
func ValidateConfigMap(obj runtime.Object) field.ErrorList {
	return create(obj, validateConfigMap)
}

func validateConfigMap(cm *corev1.ConfigMap) field.ErrorList {
	allErrs := objectMeta(&cm.ObjectMeta, true, NameIsDNSSubdomain)
	size := 0
	for _, key := range sortedKeys(cm.Data) {
		p := field.NewPath("data").Key(key)
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			allErrs = append(allErrs, field.Invalid(p, key, msg))
		}
		if _, dup := cm.BinaryData[key]; dup {
			allErrs = append(allErrs, field.Invalid(p, key, "duplicate of key present in binaryData"))
		}
		size += len(cm.Data[key])
	}
	for _, key := range sortedKeys(cm.BinaryData) {
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("binaryData").Key(key), key, msg))
		}
		size += len(cm.BinaryData[key])
	}
	if size > maxConfigMapSecretSize {
		allErrs = append(allErrs, field.TooLong(field.NewPath(""), "", maxConfigMapSecretSize))
	}
	return allErrs
}

// ValidateConfigMapUpdate freezes data and binaryData of an immutable ConfigMap.
func ValidateConfigMapUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(cm, old *corev1.ConfigMap) field.ErrorList {
		allErrs := objectMetaUpdate(&cm.ObjectMeta, &old.ObjectMeta)
		if old.Immutable != nil && *old.Immutable {
			if cm.Immutable == nil || !*cm.Immutable {
				allErrs = append(allErrs, field.Forbidden(field.NewPath("immutable"), immutableWhenSetMsg))
			}
			if !reflect.DeepEqual(cm.Data, old.Data) {
				allErrs = append(allErrs, field.Forbidden(field.NewPath("data"), immutableWhenSetMsg))
			}
			if !reflect.DeepEqual(cm.BinaryData, old.BinaryData) {
				allErrs = append(allErrs, field.Forbidden(field.NewPath("binaryData"), immutableWhenSetMsg))
			}
		}
		return append(allErrs, validateConfigMap(cm)...)
	})
}

// secretData is what upstream validates: data with stringData merged over it, since
// the internal type has no stringData.
func secretData(s *corev1.Secret) map[string][]byte {
	if len(s.StringData) == 0 {
		return s.Data
	}
	out := maps.Clone(s.Data)
	if out == nil {
		out = map[string][]byte{}
	}
	for k, v := range s.StringData {
		out[k] = []byte(v)
	}
	return out
}

// ValidateSecret checks keys, size and the keys each well-known type requires.
func ValidateSecret(obj runtime.Object) field.ErrorList {
	return create(obj, validateSecret)
}

func validateSecret(s *corev1.Secret) field.ErrorList {
	allErrs := objectMeta(&s.ObjectMeta, true, NameIsDNSSubdomain)
	dataPath := field.NewPath("data")
	data := secretData(s)
	size := 0
	for _, key := range sortedKeys(data) {
		for _, msg := range utilvalidation.IsConfigMapKey(key) {
			allErrs = append(allErrs, field.Invalid(dataPath.Key(key), key, msg))
		}
		size += len(data[key])
	}
	if size > maxConfigMapSecretSize {
		allErrs = append(allErrs, field.TooLong(dataPath, "", maxConfigMapSecretSize))
	}
	requireJSON := func(key string) {
		raw, ok := data[key]
		if !ok {
			allErrs = append(allErrs, field.Required(dataPath.Key(key), ""))
			return
		}
		if err := json.Unmarshal(raw, &map[string]any{}); err != nil {
			allErrs = append(allErrs, field.Invalid(dataPath.Key(key), "<secret contents redacted>", err.Error()))
		}
	}
	switch s.Type {
	case corev1.SecretTypeServiceAccountToken:
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			allErrs = append(allErrs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg:
		requireJSON(corev1.DockerConfigKey)
	case corev1.SecretTypeDockerConfigJson:
		requireJSON(corev1.DockerConfigJsonKey)
	case corev1.SecretTypeBasicAuth:
		_, user := data[corev1.BasicAuthUsernameKey]
		_, pass := data[corev1.BasicAuthPasswordKey]
		if !user && !pass {
			allErrs = append(allErrs,
				field.Required(dataPath.Key(corev1.BasicAuthUsernameKey), ""),
				field.Required(dataPath.Key(corev1.BasicAuthPasswordKey), ""))
		}
	case corev1.SecretTypeSSHAuth:
		if len(data[corev1.SSHAuthPrivateKey]) == 0 {
			allErrs = append(allErrs, field.Required(dataPath.Key(corev1.SSHAuthPrivateKey), ""))
		}
	case corev1.SecretTypeTLS:
		for _, key := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if _, ok := data[key]; !ok {
				allErrs = append(allErrs, field.Required(dataPath.Key(key), ""))
			}
		}
	}
	return allErrs
}

// ValidateSecretUpdate keeps the type fixed and freezes data of an immutable Secret.
func ValidateSecretUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(s, old *corev1.Secret) field.ErrorList {
		allErrs := objectMetaUpdate(&s.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, immutable(s.Type, old.Type, field.NewPath("type"))...)
		if old.Immutable != nil && *old.Immutable {
			if s.Immutable == nil || !*s.Immutable {
				allErrs = append(allErrs, field.Forbidden(field.NewPath("immutable"), immutableWhenSetMsg))
			}
			if !reflect.DeepEqual(secretData(s), secretData(old)) {
				allErrs = append(allErrs, field.Forbidden(field.NewPath("data"), immutableWhenSetMsg))
			}
		}
		return append(allErrs, validateSecret(s)...)
	})
}

// ValidateServiceAccount checks only metadata, as upstream does.
func ValidateServiceAccount(obj runtime.Object) field.ErrorList {
	return create(obj, func(sa *corev1.ServiceAccount) field.ErrorList {
		return objectMeta(&sa.ObjectMeta, true, NameIsDNSSubdomain)
	})
}

// ValidateServiceAccountUpdate checks metadata on update.
func ValidateServiceAccountUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(sa, old *corev1.ServiceAccount) field.ErrorList {
		return append(objectMetaUpdate(&sa.ObjectMeta, &old.ObjectMeta), objectMeta(&sa.ObjectMeta, true, NameIsDNSSubdomain)...)
	})
}

// ValidateEndpoints checks addresses and ports of each subset.
func ValidateEndpoints(obj runtime.Object) field.ErrorList {
	return create(obj, func(ep *corev1.Endpoints) field.ErrorList { return validateEndpoints(ep, nil) })
}

// ValidateEndpointsUpdate tolerates subsets that were accepted before and did not
// change, as upstream does for data written under older rules.
func ValidateEndpointsUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ep, old *corev1.Endpoints) field.ErrorList {
		return append(objectMetaUpdate(&ep.ObjectMeta, &old.ObjectMeta), validateEndpoints(ep, old)...)
	})
}

func validateEndpoints(ep, old *corev1.Endpoints) field.ErrorList {
	allErrs := objectMeta(&ep.ObjectMeta, true, NameIsDNSSubdomain)
	var subsetErrs field.ErrorList
	fldPath := field.NewPath("subsets")
	for i := range ep.Subsets {
		ss := &ep.Subsets[i]
		idxPath := fldPath.Index(i)
		if len(ss.Addresses) == 0 && len(ss.NotReadyAddresses) == 0 {
			subsetErrs = append(subsetErrs, field.Required(idxPath, "must specify `addresses` or `notReadyAddresses`"))
		}
		for j := range ss.Addresses {
			subsetErrs = append(subsetErrs, endpointAddress(&ss.Addresses[j], idxPath.Child("addresses").Index(j))...)
		}
		for j := range ss.NotReadyAddresses {
			subsetErrs = append(subsetErrs, endpointAddress(&ss.NotReadyAddresses[j], idxPath.Child("notReadyAddresses").Index(j))...)
		}
		for j := range ss.Ports {
			subsetErrs = append(subsetErrs, endpointPort(&ss.Ports[j], len(ss.Ports) > 1, idxPath.Child("ports").Index(j))...)
		}
	}
	if len(subsetErrs) != 0 && old != nil && apiequality.Semantic.DeepEqual(ep.Subsets, old.Subsets) {
		subsetErrs = nil
	}
	return append(allErrs, subsetErrs...)
}

func endpointAddress(a *corev1.EndpointAddress, fldPath *field.Path) field.ErrorList {
	allErrs := endpointIP(a.IP, fldPath.Child("ip"))
	if a.Hostname != "" {
		allErrs = append(allErrs, dns1123Label(a.Hostname, fldPath.Child("hostname"))...)
	}
	if a.NodeName != nil {
		for _, msg := range NameIsDNSSubdomain(*a.NodeName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nodeName"), *a.NodeName, msg))
		}
	}
	return allErrs
}

func endpointPort(p *corev1.EndpointPort, requireName bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if requireName && p.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else if p.Name != "" {
		allErrs = append(allErrs, dns1123Label(p.Name, fldPath.Child("name"))...)
	}
	for _, msg := range utilvalidation.IsValidPortNum(int(p.Port)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("port"), p.Port, msg))
	}
	allErrs = append(allErrs, enum(p.Protocol, portProtocols, fldPath.Child("protocol"))...)
	if p.AppProtocol != nil {
		allErrs = append(allErrs, qualifiedName(*p.AppProtocol, fldPath.Child("appProtocol"))...)
	}
	return allErrs
}
