package validation

import (
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/transport"
)

// conversionReviewVersions are the ConversionReview versions kube-apiserver
// can send, sorted.
var conversionReviewVersions = []string{"v1", "v1beta1"}

// crdConversion checks spec.conversion: a strategy, and for Webhook a client
// config with exactly one of url and service plus review versions.
func crdConversion(c *apiextensions.CustomResourceConversion, opts crdOptions, p *field.Path) field.ErrorList {
	if c == nil {
		return nil
	}
	errs := crdEnum(p.Child("strategy"), string(c.Strategy), []string{string(apiextensions.NoneConverter), string(apiextensions.WebhookConverter)})
	if c.Strategy != apiextensions.WebhookConverter {
		if c.WebhookClientConfig != nil {
			errs = append(errs, field.Forbidden(p.Child("webhookClientConfig"), "should not be set when strategy is not set to Webhook"))
		}
		if len(c.ConversionReviewVersions) > 0 {
			errs = append(errs, field.Forbidden(p.Child("conversionReviewVersions"), "should not be set when strategy is not set to Webhook"))
		}
		return errs
	}
	cp := p.Child("webhookClientConfig")
	if cc := c.WebhookClientConfig; cc == nil {
		errs = append(errs, field.Required(cp, "required when strategy is set to Webhook"))
	} else {
		switch {
		case (cc.URL == nil) == (cc.Service == nil):
			errs = append(errs, field.Required(cp, "exactly one of url or service is required"))
		case cc.URL != nil:
			errs = append(errs, webhookURL(cp.Child("url"), *cc.URL)...)
		default:
			port := cc.Service.Port
			errs = append(errs, webhookService(cp.Child("service"), &admissionregistrationv1.ServiceReference{
				Namespace: cc.Service.Namespace, Name: cc.Service.Name, Path: cc.Service.Path, Port: &port,
			})...)
		}
		if len(cc.CABundle) > 0 && !opts.allowInvalidCABundle {
			errs = append(errs, caBundle(cp.Child("caBundle"), cc.CABundle)...)
		}
	}
	return append(errs, crdReviewVersions(c.ConversionReviewVersions, opts.requireRecognizedConversionReviewVersion, p.Child("conversionReviewVersions"))...)
}

// crdReviewVersions checks conversionReviewVersions: unique DNS labels, at least
// one the server can send unless the stored object already lacked one.
func crdReviewVersions(versions []string, requireRecognized bool, p *field.Path) field.ErrorList {
	if len(versions) == 0 {
		return field.ErrorList{field.Required(p, "")}
	}
	return reviewVersionList(versions, conversionReviewVersions, requireRecognized, p)
}

func hasRecognizedReviewVersionOrEmpty(versions []string) bool {
	if len(versions) == 0 {
		return true
	}
	for _, v := range versions {
		if slices.Contains(conversionReviewVersions, v) {
			return true
		}
	}
	return false
}

// caBundle reports a CA bundle a TLS client could not load, with client-go's
// own error text as upstream does.
func caBundle(p *field.Path, bundle []byte) field.ErrorList {
	if _, err := transport.TLSConfigFor(&transport.Config{TLS: transport.TLSConfig{CAData: bundle}}); err != nil {
		return field.ErrorList{field.Invalid(p, bundle, err.Error())}
	}
	return nil
}

// allowInvalidCABundle keeps a bad CA bundle updatable: before the CRD is
// Established, or when the stored bundle was already bad.
func allowInvalidCABundle(old *apiextensions.CustomResourceDefinition) bool {
	if !apiextensions.IsCRDConditionTrue(old, apiextensions.Established) {
		return true
	}
	c := old.Spec.Conversion
	if c == nil || c.WebhookClientConfig == nil || len(c.WebhookClientConfig.CABundle) == 0 {
		return false
	}
	return len(caBundle(field.NewPath("caBundle"), c.WebhookClientConfig.CABundle)) > 0
}
