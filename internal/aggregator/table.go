package aggregator

import (
	"crypto/tls"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// backend is one remote APIService as the proxy uses it. It is never mutated after
// it is put in a table.
type backend struct {
	name string
	spec apiregistrationv1.APIServiceSpec
	// available is the APIService's Available condition; requests to an
	// unavailable backend are answered 503 without trying it.
	available bool
	// tls is the connection configuration; transport pools connections for
	// ordinary requests. transportErr is why they could not be built.
	tls          *tls.Config
	transport    http.RoundTripper
	transportErr error
}

// table maps the remote group versions to their backends; replaced whole.
type table map[schema.GroupVersion]*backend

// newBackend builds svc's backend, reusing prev's transport when the connection
// settings did not change so that pooled connections survive status updates.
func (a *Aggregator) newBackend(svc *apiregistrationv1.APIService, prev *backend) *backend {
	b := &backend{name: svc.Name, spec: *svc.Spec.DeepCopy(), available: isAvailable(svc)}
	if prev != nil && equality.Semantic.DeepEqual(prev.spec, b.spec) {
		b.tls, b.transport, b.transportErr = prev.tls, prev.transport, prev.transportErr
		return b
	}
	cfg, err := a.tlsConfigFor(svc)
	if err != nil {
		b.transportErr = err
		return b
	}
	b.tls, b.transport = cfg, newTransport(cfg, false)
	return b
}

func isAvailable(svc *apiregistrationv1.APIService) bool {
	for _, c := range svc.Status.Conditions {
		if c.Type == apiregistrationv1.Available {
			return c.Status == apiregistrationv1.ConditionTrue
		}
	}
	return false
}

// groupVersionOf returns the group version of /apis/<group>/<version>[/...].
func groupVersionOf(path string) (schema.GroupVersion, bool) {
	rest, ok := strings.CutPrefix(path, "/apis/")
	if !ok {
		return schema.GroupVersion{}, false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return schema.GroupVersion{}, false
	}
	return schema.GroupVersion{Group: parts[0], Version: parts[1]}, true
}
