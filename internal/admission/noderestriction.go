package admission

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

func init() {
	Factories["NodeRestriction"] = func(d Deps, _ []byte) (any, error) { return nodeRestriction{d}, nil }
}

// nodeRestriction limits what a kubelet (system:node:<name> in system:nodes) may
// write to the objects of its own node: its Node (without restricted labels), its
// pods' status, mirror pods bound to it, its Lease and CSINode, tokens for its pods.
type nodeRestriction struct{ d Deps }

// nodeIdentity returns the node name of a kubelet user.
func nodeIdentity(u *request.User) (string, bool) {
	if u == nil {
		return "", false
	}
	name, ok := strings.CutPrefix(u.Name, "system:node:")
	if !ok {
		return "", false
	}
	for _, g := range u.Groups {
		if g == "system:nodes" {
			return name, true
		}
	}
	return "", false
}

func (p nodeRestriction) Admit(ctx context.Context, a *endpoints.Attributes) error {
	u, _ := request.UserFrom(ctx)
	node, ok := nodeIdentity(u)
	if !ok {
		return nil
	}
	if node == "" {
		return forbidden(a, fmt.Errorf("could not determine node from user %q", u.Name))
	}
	switch {
	case a.Resource.Group == "" && a.Resource.Resource == "pods":
		switch a.Subresource {
		case "":
			return p.pod(ctx, node, a)
		case "status":
			return p.podStatus(node, a)
		case "eviction":
			return p.eviction(ctx, node, a)
		default:
			return forbidden(a, fmt.Errorf("unexpected pod subresource %q, only 'status' and 'eviction' are allowed", a.Subresource))
		}
	case a.Resource.Group == "" && a.Resource.Resource == "nodes":
		return p.node(node, a)
	case a.Resource.Group == "" && a.Resource.Resource == "persistentvolumeclaims":
		if a.Subresource != "status" {
			return forbidden(a, errors.New("may only update PVC status"))
		}
		return p.pvcStatus(node, a)
	case a.Resource.Group == "" && a.Resource.Resource == "serviceaccounts":
		return p.token(ctx, node, a)
	case a.Resource.Group == "coordination.k8s.io" && a.Resource.Resource == "leases":
		return p.lease(node, a)
	case a.Resource.Group == "storage.k8s.io" && a.Resource.Resource == "csinodes":
		return p.csiNode(node, a)
	}
	return nil
}

func (p nodeRestriction) getPod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	r := p.d.Readers(podsGVR)
	if r == nil {
		return nil, errNotServed
	}
	obj, err := r.Get(ctx, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("unexpected type %T", obj)
	}
	return pod, nil
}

func (p nodeRestriction) pod(ctx context.Context, node string, a *endpoints.Attributes) error {
	switch a.Operation {
	case "CREATE":
		return p.mirrorPod(ctx, node, a)
	case "DELETE":
		pod, err := p.getPod(ctx, a.Namespace, a.Name)
		if apierrors.IsNotFound(err) {
			return err
		}
		if err != nil {
			return forbidden(a, err)
		}
		if pod.Spec.NodeName != node {
			return forbidden(a, fmt.Errorf("node %q can only delete pods with spec.nodeName set to itself", node))
		}
		return nil
	}
	return forbidden(a, fmt.Errorf("unexpected operation %q, node %q can only create and delete mirror pods", a.Operation, node))
}

func (p nodeRestriction) mirrorPod(ctx context.Context, node string, a *endpoints.Attributes) error {
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	if _, mirror := pod.Annotations[mirrorPodAnnotation]; !mirror {
		return forbidden(a, fmt.Errorf("pod does not have %q annotation, node %q can only create mirror pods", mirrorPodAnnotation, node))
	}
	if pod.Spec.NodeName != node {
		return forbidden(a, fmt.Errorf("node %q can only create pods with spec.nodeName set to itself", node))
	}
	switch len(pod.OwnerReferences) {
	case 0:
		return forbidden(a, fmt.Errorf("node %q can only create pods with an owner reference set to itself", node))
	case 1:
	default:
		return forbidden(a, fmt.Errorf("node %q can only create pods with a single owner reference set to itself", node))
	}
	owner := pod.OwnerReferences[0]
	if owner.APIVersion != "v1" || owner.Kind != "Node" || owner.Name != node {
		return forbidden(a, fmt.Errorf("node %q can only create pods with an owner reference set to itself", node))
	}
	if owner.Controller == nil || !*owner.Controller {
		return forbidden(a, fmt.Errorf("node %q can only create pods with a controller owner reference set to itself", node))
	}
	if owner.BlockOwnerDeletion != nil && *owner.BlockOwnerDeletion {
		return forbidden(a, fmt.Errorf("node %q must not set blockOwnerDeletion on an owner reference", node))
	}
	obj, err := getCached(ctx, p.d, schemaNodes, "", node)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return forbidden(a, fmt.Errorf("error looking up node %s to verify uid: %v", node, err))
	}
	if n, ok := obj.(*corev1.Node); ok && n.UID != owner.UID {
		return forbidden(a, fmt.Errorf("node %s UID mismatch: expected %s got %s", node, owner.UID, n.UID))
	}
	if res := apiObjectReference(pod); res != "" {
		return forbidden(a, fmt.Errorf("node %q can not create pods that reference %s", node, res))
	}
	return nil
}

// apiObjectReference names the kind of API object a pod refers to, or "".
func apiObjectReference(pod *corev1.Pod) string {
	if pod.Spec.ServiceAccountName != "" {
		return "serviceaccounts"
	}
	if podReferencesSecrets(pod) {
		return "secrets"
	}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			return "configmaps"
		case v.PersistentVolumeClaim != nil, v.Ephemeral != nil:
			return "persistentvolumeclaims"
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				switch {
				case s.ConfigMap != nil:
					return "configmaps"
				case s.ServiceAccountToken != nil:
					return "serviceaccounts"
				case s.ClusterTrustBundle != nil:
					return "clustertrustbundles"
				case s.PodCertificate != nil:
					return "podcertificates"
				}
			}
		}
	}
	all := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				return "configmaps"
			}
		}
		for _, f := range c.EnvFrom {
			if f.ConfigMapRef != nil {
				return "configmaps"
			}
		}
	}
	if len(pod.Spec.ResourceClaims) > 0 {
		return "resourceclaims"
	}
	return ""
}

func (p nodeRestriction) podStatus(node string, a *endpoints.Attributes) error {
	if a.Operation != "UPDATE" {
		return forbidden(a, fmt.Errorf("unexpected operation %q", a.Operation))
	}
	old, ok := a.OldObject.(*corev1.Pod)
	if !ok {
		return forbidden(a, fmt.Errorf("unexpected type %T", a.OldObject))
	}
	if old.Spec.NodeName != node {
		return forbidden(a, fmt.Errorf("node %q can only update pod status for pods with spec.nodeName set to itself", node))
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	if !equality.Semantic.DeepEqual(labelsOrEmpty(old.Labels), labelsOrEmpty(pod.Labels)) {
		return forbidden(a, fmt.Errorf("node %q cannot update labels through pod status", node))
	}
	if !equality.Semantic.DeepEqual(old.Status.ResourceClaimStatuses, pod.Status.ResourceClaimStatuses) {
		return forbidden(a, fmt.Errorf("node %q cannot update resource claim statues", node))
	}
	return nil
}

func labelsOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (p nodeRestriction) eviction(ctx context.Context, node string, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" {
		return forbidden(a, fmt.Errorf("unexpected operation %s", a.Operation))
	}
	name := a.Name
	if ev, ok := a.Object.(*policyv1.Eviction); ok && name == "" {
		name = ev.Name
	}
	if name == "" {
		return forbidden(a, errors.New("could not determine pod from request data"))
	}
	pod, err := p.getPod(ctx, a.Namespace, name)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return forbidden(a, err)
	}
	if pod.Spec.NodeName != node {
		return forbidden(a, fmt.Errorf("node %s can only evict pods with spec.nodeName set to itself", node))
	}
	return nil
}

func (p nodeRestriction) pvcStatus(node string, a *endpoints.Attributes) error {
	if a.Operation != "UPDATE" {
		return forbidden(a, fmt.Errorf("unexpected operation %q", a.Operation))
	}
	old, ok := a.OldObject.(*corev1.PersistentVolumeClaim)
	if !ok {
		return forbidden(a, fmt.Errorf("unexpected type %T", a.OldObject))
	}
	cur, ok := a.Object.(*corev1.PersistentVolumeClaim)
	if !ok {
		return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	strip := func(c *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
		c = c.DeepCopy()
		c.ResourceVersion, c.ManagedFields = "", nil
		c.Status.Capacity, c.Status.Conditions = nil, nil
		c.Status.AllocatedResourceStatuses, c.Status.AllocatedResources = nil, nil
		return c
	}
	if !equality.Semantic.DeepEqual(strip(old), strip(cur)) {
		return forbidden(a, fmt.Errorf("node %q is not allowed to update fields other than status.quantity and status.conditions", node))
	}
	return nil
}

func (p nodeRestriction) node(node string, a *endpoints.Attributes) error {
	if a.Name != node {
		return forbidden(a, fmt.Errorf("node %q is not allowed to modify node %q", node, a.Name))
	}
	switch a.Operation {
	case "CREATE":
		n, ok := a.Object.(*corev1.Node)
		if !ok {
			return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
		}
		if n.Spec.ConfigSource != nil {
			return forbidden(a, fmt.Errorf("node %q is not allowed to create pods with a non-nil configSource", node))
		}
		if bad := forbiddenNodeLabels(modifiedLabels(n.Labels, nil)); len(bad) > 0 {
			return forbidden(a, fmt.Errorf("node %q is not allowed to set the following labels: %s", node, strings.Join(bad, ", ")))
		}
	case "UPDATE":
		n, ok := a.Object.(*corev1.Node)
		old, ok2 := a.OldObject.(*corev1.Node)
		if !ok || !ok2 {
			return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
		}
		if n.Spec.ConfigSource != nil && !equality.Semantic.DeepEqual(n.Spec.ConfigSource, old.Spec.ConfigSource) {
			return forbidden(a, fmt.Errorf("node %q is not allowed to update configSource to a new non-nil configSource", node))
		}
		if !equality.Semantic.DeepEqual(n.Spec.Taints, old.Spec.Taints) {
			return forbidden(a, fmt.Errorf("node %q is not allowed to modify taints", node))
		}
		if !equality.Semantic.DeepEqual(n.OwnerReferences, old.OwnerReferences) {
			return forbidden(a, fmt.Errorf("node %q is not allowed to modify ownerReferences", node))
		}
		if bad := forbiddenNodeLabels(modifiedLabels(n.Labels, old.Labels)); len(bad) > 0 {
			return forbidden(a, fmt.Errorf("is not allowed to modify labels: %s", strings.Join(bad, ", ")))
		}
	}
	return nil
}

func modifiedLabels(a, b map[string]string) []string {
	seen := map[string]bool{}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			seen[k] = true
		}
	}
	for k, v := range b {
		if w, ok := a[k]; !ok || v != w {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	return out
}

// kubeletLabels are the kubernetes.io labels a kubelet may set on its Node.
var kubeletLabels = map[string]bool{
	"kubernetes.io/hostname": true, "topology.kubernetes.io/zone": true, "topology.kubernetes.io/region": true,
	"failure-domain.beta.kubernetes.io/zone": true, "failure-domain.beta.kubernetes.io/region": true,
	"beta.kubernetes.io/instance-type": true, "node.kubernetes.io/instance-type": true,
	"kubernetes.io/os": true, "kubernetes.io/arch": true, "beta.kubernetes.io/os": true, "beta.kubernetes.io/arch": true,
}

func inDomain(ns, domain string) bool { return ns == domain || strings.HasSuffix(ns, "."+domain) }

// forbiddenNodeLabels returns, sorted, the labels a kubelet may not change: the
// node-restriction.kubernetes.io ones and kubernetes.io/k8s.io ones outside the
// kubelet's own set.
func forbiddenNodeLabels(labels []string) []string {
	var out []string
	for _, l := range labels {
		ns, _, found := strings.Cut(l, "/")
		if !found {
			ns = ""
		}
		switch {
		case inDomain(ns, "node-restriction.kubernetes.io"):
			out = append(out, l)
		case inDomain(ns, "kubernetes.io") || inDomain(ns, "k8s.io"):
			if !kubeletLabels[l] && !inDomain(ns, "kubelet.kubernetes.io") && !inDomain(ns, "node.kubernetes.io") {
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (p nodeRestriction) token(ctx context.Context, node string, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" || a.Subresource != "token" {
		return nil
	}
	tr, ok := a.Object.(*authenticationv1.TokenRequest)
	if !ok {
		return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	ref := tr.Spec.BoundObjectRef
	if ref == nil || ref.APIVersion != "v1" || ref.Kind != "Pod" || ref.Name == "" {
		return forbidden(a, errors.New("node requested token not bound to a pod"))
	}
	if ref.UID == "" {
		return forbidden(a, errors.New("node requested token with a pod binding without a uid"))
	}
	pod, err := p.getPod(ctx, a.Namespace, ref.Name)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return forbidden(a, err)
	}
	if ref.UID != pod.UID {
		return forbidden(a, fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	if pod.Spec.NodeName != node {
		return forbidden(a, errors.New("node requested token bound to a pod scheduled on a different node"))
	}
	return nil
}

func (p nodeRestriction) lease(node string, a *endpoints.Attributes) error {
	if a.Namespace != corev1.NamespaceNodeLease {
		return forbidden(a, fmt.Errorf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease))
	}
	name := a.Name
	if a.Operation == "CREATE" {
		l, ok := a.Object.(*coordinationv1.Lease)
		if !ok {
			return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
		}
		name = l.Name
	}
	if name != node {
		return forbidden(a, errors.New("can only access node lease with the same name as the requesting node"))
	}
	return nil
}

func (p nodeRestriction) csiNode(node string, a *endpoints.Attributes) error {
	name := a.Name
	if a.Operation == "CREATE" {
		acc, ok := a.Object.(metav1.Object)
		if !ok {
			return forbidden(a, errors.New("unable to access the object name"))
		}
		name = acc.GetName()
	}
	if name != node {
		return forbidden(a, errors.New("can only access CSINode with the same name as the requesting node"))
	}
	return nil
}
