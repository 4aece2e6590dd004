package admission

import (
	"context"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["AlwaysAdmit"] = func(Deps, []byte) (any, error) { return alwaysAdmit{}, nil }
	Factories["AlwaysDeny"] = func(Deps, []byte) (any, error) { return alwaysDeny{}, nil }
	Factories["DefaultTolerationSeconds"] = func(d Deps, _ []byte) (any, error) {
		return defaultTolerationSeconds{notReady: secondsOr300(d.NotReadyTolerationSeconds), unreachable: secondsOr300(d.UnreachableTolerationSeconds)}, nil
	}
	Factories["TaintNodesByCondition"] = func(Deps, []byte) (any, error) { return taintNodesByCondition{}, nil }
	Factories["StorageObjectInUseProtection"] = func(Deps, []byte) (any, error) { return storageObjectInUseProtection{}, nil }
	Factories["DefaultStorageClass"] = func(d Deps, _ []byte) (any, error) { return defaultStorageClass{d}, nil }
	Factories["DefaultIngressClass"] = func(d Deps, _ []byte) (any, error) { return defaultIngressClass{d}, nil }
	Factories["PersistentVolumeClaimResize"] = func(d Deps, _ []byte) (any, error) { return pvcResize{d}, nil }
}

// isMain reports whether a is a write of the main resource gr (no subresource).
func isMain(a *endpoints.Attributes, group, resource string) bool {
	return a.Resource.Group == group && a.Resource.Resource == resource && a.Subresource == ""
}

// alwaysAdmit lets everything through (deprecated upstream, kept for the flag).
type alwaysAdmit struct{}

func (alwaysAdmit) Admit(context.Context, *endpoints.Attributes) error { return nil }

// alwaysDeny refuses every write.
type alwaysDeny struct{}

func (alwaysDeny) Admit(_ context.Context, a *endpoints.Attributes) error {
	return forbidden(a, errors.New("admission control is denying all modifications"))
}

func (alwaysDeny) Validate(_ context.Context, a *endpoints.Attributes) error {
	return forbidden(a, errors.New("admission control is denying all modifications"))
}

// defaultTolerationSeconds adds NoExecute tolerations of the not-ready and
// unreachable taints, for these many seconds, to pods without their own.
type defaultTolerationSeconds struct{ notReady, unreachable int64 }

// secondsOr300 is a configured toleration, or upstream's default.
func secondsOr300(s *int64) int64 {
	if s == nil {
		return 300
	}
	return *s
}

func (d defaultTolerationSeconds) Admit(_ context.Context, a *endpoints.Attributes) error {
	if !isMain(a, "", "pods") || (a.Operation != "CREATE" && a.Operation != "UPDATE") {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("expected *api.Pod but got %T", a.Object))
	}
	notReady, unreachable := false, false
	for _, t := range pod.Spec.Tolerations {
		noExec := t.Effect == corev1.TaintEffectNoExecute || t.Effect == ""
		if noExec && (t.Key == corev1.TaintNodeNotReady || t.Key == "") {
			notReady = true
		}
		if noExec && (t.Key == corev1.TaintNodeUnreachable || t.Key == "") {
			unreachable = true
		}
	}
	for _, add := range []struct {
		key  string
		have bool
		secs int64
	}{{corev1.TaintNodeNotReady, notReady, d.notReady}, {corev1.TaintNodeUnreachable, unreachable, d.unreachable}} {
		if !add.have {
			secs := add.secs
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
				Key: add.key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs})
		}
	}
	return nil
}

// taintNodesByCondition taints new nodes not-ready:NoSchedule until the node
// lifecycle controller sees them ready.
type taintNodesByCondition struct{}

func (taintNodesByCondition) Admit(_ context.Context, a *endpoints.Attributes) error {
	if !isMain(a, "", "nodes") || a.Operation != "CREATE" {
		return nil
	}
	node, ok := a.Object.(*corev1.Node)
	if !ok {
		return forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	for _, t := range node.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady && t.Effect == corev1.TaintEffectNoSchedule {
			return nil
		}
	}
	node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule})
	return nil
}

// storageObjectInUseProtection adds the protection finalizers to new PVs and PVCs so
// they outlive their users.
type storageObjectInUseProtection struct{}

func (storageObjectInUseProtection) Admit(_ context.Context, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" {
		return nil
	}
	var finalizer string
	switch {
	case isMain(a, "", "persistentvolumes"):
		finalizer = "kubernetes.io/pv-protection"
	case isMain(a, "", "persistentvolumeclaims"):
		finalizer = "kubernetes.io/pvc-protection"
	default:
		return nil
	}
	acc, ok := a.Object.(metav1.Object)
	if !ok {
		return nil
	}
	for _, f := range acc.GetFinalizers() {
		if f == finalizer {
			return nil
		}
	}
	acc.SetFinalizers(append(acc.GetFinalizers(), finalizer))
	return nil
}

// newestDefault picks the default class as upstream: newest first, then by name.
func newestDefault(items []metav1.ObjectMeta, isDefault func(metav1.ObjectMeta) bool) string {
	var defaults []metav1.ObjectMeta
	for _, m := range items {
		if isDefault(m) {
			defaults = append(defaults, m)
		}
	}
	if len(defaults) == 0 {
		return ""
	}
	sort.Slice(defaults, func(i, j int) bool {
		ti, tj := defaults[i].CreationTimestamp.UnixNano(), defaults[j].CreationTimestamp.UnixNano()
		if ti == tj {
			return defaults[i].Name < defaults[j].Name
		}
		return ti > tj
	})
	return defaults[0].Name
}

// defaultStorageClass gives new claims without a class the default StorageClass.
type defaultStorageClass struct{ d Deps }

func (p defaultStorageClass) Admit(ctx context.Context, a *endpoints.Attributes) error {
	if !isMain(a, "", "persistentvolumeclaims") || a.Operation != "CREATE" {
		return nil
	}
	pvc, ok := a.Object.(*corev1.PersistentVolumeClaim)
	if !ok || pvcHasClass(pvc) {
		return nil
	}
	obj, err := listCached(ctx, p.d, storageClassesGVR, "")
	if err != nil {
		return forbidden(a, err)
	}
	list, _ := obj.(*storagev1.StorageClassList)
	if list == nil {
		return nil
	}
	metas := make([]metav1.ObjectMeta, len(list.Items))
	for i := range list.Items {
		metas[i] = list.Items[i].ObjectMeta
	}
	name := newestDefault(metas, func(m metav1.ObjectMeta) bool {
		return m.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" ||
			m.Annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true"
	})
	if name != "" {
		pvc.Spec.StorageClassName = &name
	}
	return nil
}

// pvcHasClass reports whether the claim names a class, even "".
func pvcHasClass(pvc *corev1.PersistentVolumeClaim) bool {
	if _, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return true
	}
	return pvc.Spec.StorageClassName != nil
}

// pvcClass is the class a claim names, the beta annotation first.
func pvcClass(pvc *corev1.PersistentVolumeClaim) string {
	if c, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return c
	}
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}

// defaultIngressClass gives new ingresses without a class the default IngressClass.
type defaultIngressClass struct{ d Deps }

func (p defaultIngressClass) Admit(ctx context.Context, a *endpoints.Attributes) error {
	if !isMain(a, "networking.k8s.io", "ingresses") || a.Operation != "CREATE" {
		return nil
	}
	ing, ok := a.Object.(*networkingv1.Ingress)
	if !ok {
		//lint:ignore ST1005 upstream's message
		return apierrors.NewInternalError(fmt.Errorf("Expected Ingress resource, got: %v", a.Kind))
	}
	if ing.Spec.IngressClassName != nil {
		return nil
	}
	if _, ok := ing.Annotations["kubernetes.io/ingress.class"]; ok {
		return nil
	}
	obj, err := listCached(ctx, p.d, ingressClassesGVR, "")
	if err != nil {
		return forbidden(a, err)
	}
	list, _ := obj.(*networkingv1.IngressClassList)
	if list == nil {
		return nil
	}
	metas := make([]metav1.ObjectMeta, len(list.Items))
	for i := range list.Items {
		metas[i] = list.Items[i].ObjectMeta
	}
	name := newestDefault(metas, func(m metav1.ObjectMeta) bool {
		return m.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true"
	})
	if name != "" {
		ing.Spec.IngressClassName = &name
	}
	return nil
}

// pvcResize lets a bound claim grow only when its class allows expansion.
type pvcResize struct{ d Deps }

func (p pvcResize) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if !isMain(a, "", "persistentvolumeclaims") || a.Operation != "UPDATE" {
		return nil
	}
	pvc, ok := a.Object.(*corev1.PersistentVolumeClaim)
	old, ok2 := a.OldObject.(*corev1.PersistentVolumeClaim)
	if !ok || !ok2 {
		return nil
	}
	newSize, oldSize := pvc.Spec.Resources.Requests[corev1.ResourceStorage], old.Spec.Resources.Requests[corev1.ResourceStorage]
	if newSize.Cmp(oldSize) <= 0 {
		return nil
	}
	if old.Status.Phase != corev1.ClaimBound {
		//lint:ignore ST1005 upstream's message
		return forbidden(a, errors.New("Only bound persistent volume claims can be expanded"))
	}
	if !p.allowResize(ctx, pvc, old) {
		return forbidden(a, errors.New("only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"))
	}
	return nil
}

func (p pvcResize) allowResize(ctx context.Context, pvc, old *corev1.PersistentVolumeClaim) bool {
	class := pvcClass(pvc)
	if class == "" || class != pvcClass(old) {
		return false
	}
	obj, err := getCached(ctx, p.d, storageClassesGVR, "", class)
	if err != nil {
		return false
	}
	sc, ok := obj.(*storagev1.StorageClass)
	return ok && sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
}
