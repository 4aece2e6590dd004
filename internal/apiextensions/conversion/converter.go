package conversion

import (
	"context"
	"fmt"
	"net/url"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Converter converts custom resources between the versions of one CRD.
type Converter interface {
	// Convert converts objs (each with its apiVersion set, possibly mixed versions)
	// in place to group/toVersion. Objects already at toVersion are left alone, and
	// no webhook is called when all are. On an error no object has been changed.
	Convert(ctx context.Context, objs []*unstructured.Unstructured, toVersion string) error
}

// Options are what a converter needs from the server.
type Options struct {
	// ResolveService turns a service reference into the URL to call (the lead wires
	// endpoint resolution); nil: https://<name>.<namespace>.svc:<port><path>.
	ResolveService func(namespace, name string, port int32) (*url.URL, error)

	// timeout bounds one webhook call; 0 is upstream's 30 seconds. Tests shorten it.
	timeout time.Duration
}

// defaultTimeout is how long upstream waits for a conversion webhook.
const defaultTimeout = 30 * time.Second

// New returns the converter of crd's spec.conversion. It fails when the webhook's
// client configuration is unusable (a caBundle without a certificate, a URL that
// does not parse).
func New(crd *apiextensionsv1.CustomResourceDefinition, opts Options) (Converter, error) {
	c := &converter{group: crd.Spec.Group, versions: map[string]bool{}}
	for _, v := range crd.Spec.Versions {
		c.versions[v.Name] = true
	}
	conv := crd.Spec.Conversion
	if conv == nil || conv.Strategy == "" || conv.Strategy == apiextensionsv1.NoneConverter {
		return c, nil
	}
	if conv.Strategy != apiextensionsv1.WebhookConverter {
		return nil, fmt.Errorf("unknown conversion strategy %q for CRD %s", conv.Strategy, crd.Name)
	}
	if conv.Webhook == nil || conv.Webhook.ClientConfig == nil {
		return nil, fmt.Errorf("conversion webhook of CRD %s has no clientConfig", crd.Name)
	}
	if opts.timeout == 0 {
		opts.timeout = defaultTimeout
	}
	client, err := newClient(conv.Webhook.ClientConfig, opts)
	if err != nil {
		return nil, err
	}
	c.webhook = &webhook{client: client, reviewVersions: conv.Webhook.ConversionReviewVersions}
	return c, nil
}

// converter checks versions and delegates to the webhook, if any.
type converter struct {
	group string
	// versions holds every version the CRD defines, served or not.
	versions map[string]bool
	// webhook is nil for the None strategy.
	webhook *webhook
}

func (c *converter) Convert(ctx context.Context, objs []*unstructured.Unstructured, toVersion string) error {
	to := schema.GroupVersion{Group: c.group, Version: toVersion}
	if !c.versions[toVersion] {
		return fmt.Errorf("request to convert CR to an invalid group/version: %s", to)
	}
	for i, o := range objs {
		gv := o.GroupVersionKind().GroupVersion()
		if gv.Group == c.group && c.versions[gv.Version] {
			continue
		}
		if len(objs) == 1 {
			return fmt.Errorf("request to convert CR from an invalid group/version: %s", gv)
		}
		return fmt.Errorf("request to convert CR list failed, list index %d has invalid group/version: %s", i, gv)
	}
	if c.webhook == nil {
		for _, o := range objs {
			setVersion(o, to)
		}
		return nil
	}
	return c.webhook.convert(ctx, objs, to)
}

// setVersion is the None conversion: apiVersion changes, the kind stays.
func setVersion(o *unstructured.Unstructured, to schema.GroupVersion) {
	o.SetGroupVersionKind(to.WithKind(o.GetKind()))
}
