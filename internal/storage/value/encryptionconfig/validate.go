package encryptionconfig

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Upstream's messages, so that a bad file reads the same on either server.
const (
	moreThanOneElementErr          = "more than one provider specified in a single element, should split into different list elements"
	noProviderErr                  = "provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity"
	keyLenErrFmt                   = "secret is not of the expected length, got %d, expected one of %v"
	unsupportedSchemeErrFmt        = "unsupported scheme %q for KMS provider, only unix is supported"
	unsupportedKMSAPIVersionErrFmt = "unsupported apiVersion %s for KMS provider, only v1 and v2 are supported"
	atLeastOneRequiredErrFmt       = "at least one %s is required"
	invalidURLErrFmt               = "invalid endpoint for kms provider, error: %v"
	mandatoryFieldErrFmt           = "%s is a mandatory field for a %s"
	base64EncodingErr              = "secrets must be base64 encoded"
	zeroOrNegativeErrFmt           = "%s should be a positive value"
	nonZeroErrFmt                  = "%s should be a positive value, or negative to disable"
	invalidKMSConfigNameErrFmt     = "invalid KMS provider name %s, must not contain ':'"
	duplicateKMSConfigNameErrFmt   = "duplicate KMS provider name %s, names must be unique"
	eventsGroupErr                 = "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file"
	extensionsGroupErr             = "'extensions' group has been removed and cannot be used for encryption"
	starResourceErr                = "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources"
	overlapErr                     = "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked"
	nonRESTAPIResourceErr          = "resources which do not have REST API/s cannot be encrypted"
	resourceNameErr                = "resource name should not contain capital letters"
	resourceAcrossGroupErr         = "encrypting the same resource across groups is not supported"
	duplicateResourceErr           = "the same resource cannot be specified multiple times"
)

var (
	aesKeySizes         = []int{16, 24, 32}
	secretboxKeySizes   = []int{32}
	anyGroupAnyResource = schema.GroupResource{Group: "*", Resource: "*"}
)

// Validate checks a defaulted configuration as kube-apiserver does; reload (an
// automatically reloaded file) also requires unique names of kms v1 providers.
func Validate(c *EncryptionConfiguration, reload bool) field.ErrorList {
	root := field.NewPath("resources")
	if len(c.Resources) == 0 {
		return field.ErrorList{field.Required(root, fmt.Sprintf(atLeastOneRequiredErrFmt, root))}
	}
	var errs field.ErrorList
	kmsNames := map[string]bool{}
	for i, conf := range c.Resources {
		r := root.Index(i).Child("resources")
		p := root.Index(i).Child("providers")
		if len(conf.Resources) == 0 {
			errs = append(errs, field.Required(r, fmt.Sprintf(atLeastOneRequiredErrFmt, r)))
		}
		errs = append(errs, validateResourceOverlap(conf.Resources, r)...)
		errs = append(errs, validateResourceNames(conf.Resources, r)...)
		if len(conf.Providers) == 0 {
			errs = append(errs, field.Required(p, fmt.Sprintf(atLeastOneRequiredErrFmt, p)))
		}
		for j, provider := range conf.Providers {
			path := p.Index(j)
			errs = append(errs, validateSingleProvider(provider, path)...)
			switch {
			case provider.KMS != nil:
				errs = append(errs, validateKMS(provider.KMS, path.Child("kms"), kmsNames, reload)...)
				kmsNames[provider.KMS.Name] = true
			case provider.AESGCM != nil:
				errs = append(errs, validateKeys(provider.AESGCM.Keys, path.Child("aesgcm").Child("keys"), aesKeySizes)...)
			case provider.AESCBC != nil:
				errs = append(errs, validateKeys(provider.AESCBC.Keys, path.Child("aescbc").Child("keys"), aesKeySizes)...)
			case provider.Secretbox != nil:
				errs = append(errs, validateKeys(provider.Secretbox.Keys, path.Child("secretbox").Child("keys"), secretboxKeySizes)...)
			}
		}
	}
	return errs
}

// validateResourceOverlap rejects duplicates and wildcards that mask another entry
// of the same list.
func validateResourceOverlap(resources []string, path *field.Path) field.ErrorList {
	if len(resources) < 2 {
		return nil
	}
	grs := make([]schema.GroupResource, len(resources))
	for i, r := range resources {
		grs[i] = schema.ParseGroupResource(r)
	}
	// Every ordered pair is looked at; the first equal pair counts as a duplicate
	// only, later equal pairs (a wildcard given twice) also as an overlap, as upstream.
	var duplicate, overlap bool
	for i, a := range grs {
		for j, b := range grs {
			switch {
			case i == j:
			case a == b && !duplicate:
				duplicate = true
			case a == anyGroupAnyResource:
				overlap = true
			case a.Group == b.Group && (a.Resource == "*" || b.Resource == "*"):
				overlap = true
			}
		}
	}
	var errs field.ErrorList
	if duplicate {
		errs = append(errs, field.Invalid(path, resources, duplicateResourceErr))
	}
	if overlap {
		errs = append(errs, field.Invalid(path, resources, overlapErr))
	}
	return errs
}

func validateResourceNames(resources []string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for j, res := range resources {
		p := path.Index(j)
		gr := schema.ParseGroupResource(res)
		switch {
		case strings.ToLower(res) != res:
			errs = append(errs, field.Invalid(p, res, resourceNameErr))
		case res == "*":
			errs = append(errs, field.Invalid(p, res, starResourceErr))
		case res == "apiserveripinfo" || res == "serviceipallocations" || res == "servicenodeportallocations":
			errs = append(errs, field.Invalid(p, res, nonRESTAPIResourceErr))
		case gr.Group == "events.k8s.io":
			errs = append(errs, field.Invalid(p, res, eventsGroupErr))
		case gr.Group == "extensions":
			errs = append(errs, field.Invalid(p, res, extensionsGroupErr))
		case gr.Group == "*" && gr.Resource != "*":
			errs = append(errs, field.Invalid(p, res, resourceAcrossGroupErr))
		}
	}
	return errs
}

func validateSingleProvider(p ProviderConfiguration, path *field.Path) field.ErrorList {
	found := 0
	for _, set := range []bool{p.KMS != nil, p.AESGCM != nil, p.AESCBC != nil, p.Secretbox != nil, p.Identity != nil} {
		if set {
			found++
		}
	}
	switch {
	case found == 0:
		return field.ErrorList{field.Invalid(path, redacted(p), noProviderErr)}
	case found > 1:
		return field.ErrorList{field.Invalid(path, redacted(p), moreThanOneElementErr)}
	}
	return nil
}

func validateKeys(keys []Key, path *field.Path, sizes []int) field.ErrorList {
	if len(keys) == 0 {
		return field.ErrorList{field.Required(path, fmt.Sprintf(atLeastOneRequiredErrFmt, "keys"))}
	}
	var errs field.ErrorList
	for i, k := range keys {
		errs = append(errs, validateKey(k, path.Index(i), sizes)...)
	}
	return errs
}

func validateKey(k Key, path *field.Path, sizes []int) field.ErrorList {
	var errs field.ErrorList
	if k.Name == "" {
		errs = append(errs, field.Required(path.Child("name"), fmt.Sprintf(mandatoryFieldErrFmt, "name", "key")))
	}
	if k.Secret == "" {
		return append(errs, field.Required(path.Child("secret"), fmt.Sprintf(mandatoryFieldErrFmt, "secret", "key")))
	}
	secret, err := base64.StdEncoding.DecodeString(k.Secret)
	if err != nil {
		return append(errs, field.Invalid(path.Child("secret"), "REDACTED", base64EncodingErr))
	}
	for _, n := range sizes {
		if len(secret) == n {
			return errs
		}
	}
	return append(errs, field.Invalid(path.Child("secret"), "REDACTED", fmt.Sprintf(keyLenErrFmt, len(secret), sizes)))
}

func validateKMS(c *KMSConfiguration, path *field.Path, names map[string]bool, reload bool) field.ErrorList {
	var errs field.ErrorList
	// name
	namePath := path.Child("name")
	if c.Name == "" {
		errs = append(errs, field.Required(namePath, fmt.Sprintf(mandatoryFieldErrFmt, "name", "provider")))
	}
	if c.APIVersion != "v1" && strings.Contains(c.Name, ":") {
		errs = append(errs, field.Invalid(namePath, c.Name, fmt.Sprintf(invalidKMSConfigNameErrFmt, c.Name)))
	}
	if (reload || c.APIVersion != "v1") && names[c.Name] {
		errs = append(errs, field.Invalid(namePath, c.Name, fmt.Sprintf(duplicateKMSConfigNameErrFmt, c.Name)))
	}
	// timeout
	if c.Timeout == nil || c.Timeout.Duration <= 0 {
		timeout := c.Timeout
		if timeout == nil {
			timeout = &metav1.Duration{}
		}
		errs = append(errs, field.Invalid(path.Child("timeout"), timeout, fmt.Sprintf(zeroOrNegativeErrFmt, "timeout")))
	}
	// endpoint
	errs = append(errs, validateKMSEndpoint(c.Endpoint, path.Child("endpoint"))...)
	// cachesize
	if c.APIVersion != "v1" && c.CacheSize != nil {
		errs = append(errs, field.Invalid(path.Child("cachesize"), *c.CacheSize, "cachesize is not supported in v2"))
	}
	if c.APIVersion == "v1" && c.CacheSize != nil && *c.CacheSize == 0 {
		errs = append(errs, field.Invalid(path.Child("cachesize"), *c.CacheSize, fmt.Sprintf(nonZeroErrFmt, "cachesize")))
	}
	// apiVersion
	if c.APIVersion != "v1" && c.APIVersion != "v2" {
		errs = append(errs, field.Invalid(path.Child("apiVersion"), c.APIVersion, fmt.Sprintf(unsupportedKMSAPIVersionErrFmt, "apiVersion")))
	}
	return errs
}

func validateKMSEndpoint(endpoint string, path *field.Path) field.ErrorList {
	if endpoint == "" {
		return field.ErrorList{field.Invalid(path, "", fmt.Sprintf(mandatoryFieldErrFmt, "endpoint", "kms"))}
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return field.ErrorList{field.Invalid(path, endpoint, fmt.Sprintf(invalidURLErrFmt, err))}
	}
	if u.Scheme != "unix" {
		return field.ErrorList{field.Invalid(path, endpoint, fmt.Sprintf(unsupportedSchemeErrFmt, u.Scheme))}
	}
	return nil
}
