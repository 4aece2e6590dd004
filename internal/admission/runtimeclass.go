package admission

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["RuntimeClass"] = func(d Deps, _ []byte) (any, error) { return runtimeClass{d}, nil }
}

// runtimeClass copies a pod's RuntimeClass overhead and scheduling constraints into
// the pod at create, and refuses pods naming a class that does not exist.
type runtimeClass struct{ d Deps }

func (p runtimeClass) load(ctx context.Context, a *endpoints.Attributes) (*corev1.Pod, *nodev1.RuntimeClass, error) {
	if !isMain(a, "", "pods") || a.Operation != "CREATE" {
		return nil, nil, nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil, nil, apierrors.NewBadRequest("Resource was marked with kind Pod but was unable to be converted")
	}
	if pod.Spec.RuntimeClassName == nil {
		return pod, nil, nil
	}
	r := p.d.Readers(runtimeClassesGVR)
	if r == nil {
		return pod, nil, forbidden(a, fmt.Errorf("pod rejected: RuntimeClass %q not found", *pod.Spec.RuntimeClassName))
	}
	obj, err := r.Get(ctx, "", *pod.Spec.RuntimeClassName, &metav1.GetOptions{ResourceVersion: "0"})
	if apierrors.IsNotFound(err) {
		// The cache may lag a class created a moment ago: ask storage.
		obj, err = r.Get(ctx, "", *pod.Spec.RuntimeClassName, &metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return pod, nil, forbidden(a, fmt.Errorf("pod rejected: RuntimeClass %q not found", *pod.Spec.RuntimeClassName))
	}
	if err != nil {
		return pod, nil, apierrors.NewInternalError(err)
	}
	rc, _ := obj.(*nodev1.RuntimeClass)
	return pod, rc, nil
}

var errOverheadMismatch = errors.New("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")

func (p runtimeClass) Admit(ctx context.Context, a *endpoints.Attributes) error {
	pod, rc, err := p.load(ctx, a)
	if err != nil || pod == nil || rc == nil {
		return err
	}
	if rc.Overhead != nil {
		if len(pod.Spec.Overhead) > 0 && !equality.Semantic.DeepEqual(rc.Overhead.PodFixed, pod.Spec.Overhead) {
			return forbidden(a, errOverheadMismatch)
		}
		pod.Spec.Overhead = rc.Overhead.PodFixed.DeepCopy()
	}
	if rc.Scheduling == nil {
		return nil
	}
	if pod.Spec.NodeSelector == nil && len(rc.Scheduling.NodeSelector) > 0 {
		pod.Spec.NodeSelector = map[string]string{}
	}
	for k, v := range rc.Scheduling.NodeSelector {
		if have, ok := pod.Spec.NodeSelector[k]; ok && have != v {
			return forbidden(a, fmt.Errorf("conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; pod.spec.nodeSelector[%s] = %s", k, v, k, have))
		}
		pod.Spec.NodeSelector[k] = v
	}
	pod.Spec.Tolerations = mergeTolerations(pod.Spec.Tolerations, rc.Scheduling.Tolerations)
	return nil
}

func (p runtimeClass) Validate(ctx context.Context, a *endpoints.Attributes) error {
	pod, rc, err := p.load(ctx, a)
	if err != nil || pod == nil {
		return err
	}
	if rc != nil && rc.Overhead != nil {
		if !equality.Semantic.DeepEqual(rc.Overhead.PodFixed, pod.Spec.Overhead) {
			return forbidden(a, errOverheadMismatch)
		}
	} else if pod.Spec.Overhead != nil {
		return forbidden(a, errors.New("pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"))
	}
	return nil
}

// mergeTolerations adds the tolerations of extra that no existing toleration
// already covers.
func mergeTolerations(have, extra []corev1.Toleration) []corev1.Toleration {
	out := append([]corev1.Toleration(nil), have...)
	for _, t := range extra {
		covered := false
		for _, h := range out {
			if tolerationCovers(h, t) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, t)
		}
	}
	return out
}

// tolerationCovers reports whether a tolerates everything b does.
func tolerationCovers(a, b corev1.Toleration) bool {
	if a.Effect != "" && a.Effect != b.Effect {
		return false
	}
	if a.Effect == corev1.TaintEffectNoExecute && a.TolerationSeconds != nil &&
		(b.TolerationSeconds == nil || *b.TolerationSeconds > *a.TolerationSeconds) {
		return false
	}
	aExists := a.Operator == corev1.TolerationOpExists
	if a.Key == "" {
		return aExists
	}
	if a.Key != b.Key {
		return false
	}
	if aExists {
		return true
	}
	bExists := b.Operator == corev1.TolerationOpExists
	return !bExists && a.Value == b.Value
}
