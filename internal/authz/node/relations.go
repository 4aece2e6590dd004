package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
)

// fromCache reads from the watch cache: a relationship that appeared a moment ago may
// be missed, as with upstream's informer-fed graph, and the kubelet retries.
const fromCache = "0"

// errNoStore reports a Sources field the server did not fill.
var errNoStore = errors.New("node authorizer: store not configured")

// kind is a type of object whose relationship to a node the authorizer traces.
type kind int

const (
	secretKind kind = iota
	configMapKind
	pvcKind
	pvKind
	resourceClaimKind
	serviceAccountKind
	podKind
	volumeAttachmentKind
	resourceSliceKind
	podCertificateRequestKind
)

// related reports whether the object of kind k in ns named name is one node may
// reach: through a pod bound to it, or because the object names the node.
func (a *Authorizer) related(ctx context.Context, node string, k kind, ns, name string) (bool, error) {
	switch k {
	case secretKind:
		return a.secretRelated(ctx, node, ns, name)
	case configMapKind:
		return a.anyPodOnNode(ctx, node, ns, func(r *podRefs) bool { return slices.Contains(r.configMaps, name) })
	case pvcKind:
		return a.anyPodOnNode(ctx, node, ns, func(r *podRefs) bool { return slices.Contains(r.claims, name) })
	case resourceClaimKind:
		return a.anyPodOnNode(ctx, node, ns, func(r *podRefs) bool { return slices.Contains(r.resourceClaims, name) })
	case serviceAccountKind:
		return a.anyPodOnNode(ctx, node, ns, func(r *podRefs) bool { return r.serviceAccount == name })
	case pvKind:
		return a.pvRelated(ctx, node, name)
	case podKind:
		return a.namesNode(ctx, node, a.src.Pods, ns, name)
	case volumeAttachmentKind:
		return a.namesNode(ctx, node, a.src.VolumeAttachments, "", name)
	case resourceSliceKind:
		return a.namesNode(ctx, node, a.src.ResourceSlices, "", name)
	case podCertificateRequestKind:
		return a.namesNode(ctx, node, a.src.PodCertificateRequests, ns, name)
	}
	return false, nil
}

// secretRelated: a pod on the node references the secret, or the volume bound to a
// claim such a pod uses hands it to the kubelet.
func (a *Authorizer) secretRelated(ctx context.Context, node, ns, name string) (bool, error) {
	ok, err := a.anyPodOnNode(ctx, node, ns, func(r *podRefs) bool { return slices.Contains(r.secrets, name) })
	if ok || err != nil {
		return ok, err
	}
	// A volume's secret may live in another namespace than its claim: look at the
	// claims of the node's pods in every namespace.
	var claims []objectName
	if _, err := a.anyPodOnNode(ctx, node, "", func(r *podRefs) bool {
		for _, c := range r.claims {
			claims = append(claims, objectName{r.namespace, c})
		}
		return false
	}); err != nil {
		return false, err
	}
	slices.SortFunc(claims, objectName.compare)
	for _, c := range slices.Compact(claims) {
		ok, err := a.claimVolumeHasSecret(ctx, c, objectName{ns, name})
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// objectName is the namespace and name of an object.
type objectName struct{ namespace, name string }

func (o objectName) compare(p objectName) int {
	if c := strings.Compare(o.namespace, p.namespace); c != 0 {
		return c
	}
	return strings.Compare(o.name, p.name)
}

// claimVolumeHasSecret reports whether the volume bound to claim (both ways: the
// claim names the volume, the volume names the claim) hands secret to the kubelet.
func (a *Authorizer) claimVolumeHasSecret(ctx context.Context, claim, secret objectName) (bool, error) {
	obj, err := get(ctx, a.src.PersistentVolumeClaims, claim.namespace, claim.name)
	if obj == nil || err != nil {
		return false, err
	}
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return false, fmt.Errorf("node authorizer: persistentvolumeclaims store returned %T", obj)
	}
	if pvc.Spec.VolumeName == "" {
		return false, nil
	}
	pv, err := a.volume(ctx, pvc.Spec.VolumeName)
	if pv == nil || err != nil {
		return false, err
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Namespace != claim.namespace || ref.Name != claim.name {
		return false, nil
	}
	for ref := range pvSecrets(pv) {
		if ref.kubeletVisible && ref.namespace == secret.namespace && ref.name == secret.name {
			return true, nil
		}
	}
	return false, nil
}

// pvRelated: the volume is bound to a claim a pod on the node uses.
func (a *Authorizer) pvRelated(ctx context.Context, node, name string) (bool, error) {
	pv, err := a.volume(ctx, name)
	if pv == nil || err != nil {
		return false, err
	}
	claim := pv.Spec.ClaimRef
	if claim == nil {
		return false, nil
	}
	return a.anyPodOnNode(ctx, node, claim.Namespace, func(r *podRefs) bool { return slices.Contains(r.claims, claim.Name) })
}

// volume reads a PersistentVolume; nil when there is none.
func (a *Authorizer) volume(ctx context.Context, name string) (*corev1.PersistentVolume, error) {
	obj, err := get(ctx, a.src.PersistentVolumes, "", name)
	if obj == nil || err != nil {
		return nil, err
	}
	pv, ok := obj.(*corev1.PersistentVolume)
	if !ok {
		return nil, fmt.Errorf("node authorizer: persistentvolumes store returned %T", obj)
	}
	return pv, nil
}

// anyPodOnNode reports whether uses holds for the references of a pod bound to node
// in namespace ns ("" for every namespace); mirror pods give nothing. The pod index
// answers once synced; until then the watch cache lists the pods.
func (a *Authorizer) anyPodOnNode(ctx context.Context, node, ns string, uses func(*podRefs) bool) (bool, error) {
	if a.index.synced.Load() {
		return a.index.visit(node, ns, uses), nil
	}
	if a.src.Pods == nil {
		return false, errNoStore
	}
	obj, err := a.src.Pods.List(ctx, ns, &metav1.ListOptions{
		ResourceVersion: fromCache,
		// Built, not formatted, so that no node name can widen the selector.
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String(),
	})
	if err != nil {
		return false, err
	}
	list, ok := obj.(*corev1.PodList)
	if !ok {
		return false, fmt.Errorf("node authorizer: pods store listed %T", obj)
	}
	// The items are shared with the watch cache: read, never written.
	for i := range list.Items {
		if r := refsOf(&list.Items[i]); r != nil && r.node == node && uses(r) {
			return true, nil
		}
	}
	return false, nil
}

// namesNode reports whether the object ns/name of g exists and is bound to node.
func (a *Authorizer) namesNode(ctx context.Context, node string, g Getter, ns, name string) (bool, error) {
	obj, err := get(ctx, g, ns, name)
	if obj == nil || err != nil {
		return false, err
	}
	bound, err := nodeNameOf(obj)
	return err == nil && bound != "" && bound == node, err
}

// nodeNameOf returns the node an object is bound to.
func nodeNameOf(obj runtime.Object) (string, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return o.Spec.NodeName, nil
	case *storagev1.VolumeAttachment:
		return o.Spec.NodeName, nil
	case *resourcev1.ResourceSlice:
		if o.Spec.NodeName == nil {
			return "", nil
		}
		return *o.Spec.NodeName, nil
	case *certificatesv1.PodCertificateRequest:
		return string(o.Spec.NodeName), nil
	}
	return "", fmt.Errorf("node authorizer: unexpected %T", obj)
}

// get reads one object from the cache; a missing object is (nil, nil).
func get(ctx context.Context, g Getter, ns, name string) (runtime.Object, error) {
	if g == nil {
		return nil, errNoStore
	}
	obj, err := g.Get(ctx, ns, name, &metav1.GetOptions{ResourceVersion: fromCache})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return obj, nil
}
