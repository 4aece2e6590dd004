package admission

import (
	"context"
	"fmt"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["PodTopologyLabels"] = func(d Deps, _ []byte) (any, error) { return podTopologyLabels{d}, nil }
	Factories["ClusterTrustBundleAttest"] = func(d Deps, _ []byte) (any, error) {
		if d.Authorizer == nil {
			return nil, fmt.Errorf("ClusterTrustBundleAttest requires an authorizer")
		}
		return clusterTrustBundleAttest{d}, nil
	}
}

// topologyLabels are the node labels PodTopologyLabels copies to the pods bound to
// the node, upstream's default set.
var topologyLabels = []string{"topology.kubernetes.io/zone", "topology.kubernetes.io/region"}

var nodesGVR = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}

// podTopologyLabels copies the zone and region labels of a pod's node onto the pod
// when it is created already bound, or onto a pods/binding (which the binding then
// merges into the pod), as upstream's PodTopologyLabels.
type podTopologyLabels struct{ d Deps }

func (p podTopologyLabels) Admit(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" || a.Resource.Group != "" || a.Resource.Resource != "pods" {
		return nil
	}
	var node string
	var labels *map[string]string
	switch a.Subresource {
	case "":
		pod, ok := a.Object.(*corev1.Pod)
		if !ok {
			return fmt.Errorf("expected Pod but got %T", a.Object)
		}
		node, labels = pod.Spec.NodeName, &pod.Labels
	case "binding":
		b, ok := a.Object.(*corev1.Binding)
		if !ok {
			return fmt.Errorf("expected Binding but got %s", a.Kind.Kind)
		}
		if b.Target.Kind != "" && b.Target.Kind != "Node" {
			return nil
		}
		node, labels = b.Target.Name, &b.Labels
	default:
		return nil
	}
	if node == "" {
		return nil
	}
	// Pods bound to nodes that do not exist are common (created for a node yet to
	// register, or by tests), and a read of etcd for each was 5% of a pod create.
	obj, err := getFromCache(ctx, p.d, nodesGVR, "", node)
	if apierrors.IsNotFound(err) || err == errNotServed {
		return nil
	}
	if err != nil {
		return err
	}
	n, ok := obj.(*corev1.Node)
	if !ok {
		return nil
	}
	for _, k := range topologyLabels {
		v, ok := n.Labels[k]
		if !ok {
			continue
		}
		if *labels == nil {
			*labels = map[string]string{}
		}
		(*labels)[k] = v
	}
	return nil
}

// clusterTrustBundleAttest lets only users allowed to "attest" for a signer write
// ClusterTrustBundles naming it, as upstream; updates that only touch the garbage
// collector's fields are not checked.
type clusterTrustBundleAttest struct{ d Deps }

func (p clusterTrustBundleAttest) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Resource.Group != "certificates.k8s.io" || a.Resource.Resource != "clustertrustbundles" || a.Object == nil {
		return nil
	}
	bundle, ok := a.Object.(*certificatesv1.ClusterTrustBundle)
	if !ok {
		return forbidden(a, fmt.Errorf("expected type ClusterTrustBundle, got: %T", a.OldObject))
	}
	if bundle.Spec.SignerName == "" {
		return nil
	}
	if old, ok := a.OldObject.(*certificatesv1.ClusterTrustBundle); ok && a.Operation == "UPDATE" && onlyGCFieldsChanged(bundle, old) {
		return nil
	}
	if !authorizedForSigner(ctx, p.d.Authorizer, "attest", bundle.Spec.SignerName) {
		return forbidden(a, fmt.Errorf("user not permitted to attest for signerName %q", bundle.Spec.SignerName))
	}
	return nil
}

// onlyGCFieldsChanged reports whether an update changes nothing but owner
// references and finalizers (and the managed fields that record them).
func onlyGCFieldsChanged(obj, old *certificatesv1.ClusterTrustBundle) bool {
	c := obj.DeepCopy()
	c.OwnerReferences, c.Finalizers, c.ManagedFields = old.OwnerReferences, old.Finalizers, old.ManagedFields
	return equality.Semantic.DeepEqual(c, old)
}
