package builtin

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// binder assigns pods to nodes: the bindings resource and pods/binding, which is how
// the scheduler places a pod.
type binder struct {
	deps Deps
}

var podsGVR = corev1.SchemeGroupVersion.WithResource("pods")

// bind sets spec.nodeName of the pod b names, once, with upstream's checks, and
// answers with a Success Status.
func (bd binder) bind(ctx context.Context, ns string, b *corev1.Binding, dryRun bool) (runtime.Object, error) {
	var errs field.ErrorList
	if b.Target.Name == "" {
		errs = append(errs, field.Required(field.NewPath("target", "name"), ""))
	}
	if b.Target.Kind != "" && b.Target.Kind != "Node" {
		errs = append(errs, field.NotSupported(field.NewPath("target", "kind"), b.Target.Kind, []string{"Node", "<empty>"}))
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Binding").GroupKind(), b.Name, errs)
	}
	pods := bd.deps.Stores(podsGVR)
	conflict := func(err error) error {
		return apierrors.NewConflict(corev1.Resource("pods/binding"), b.Name, err)
	}
	_, _, err := pods.Update(ctx, ns, b.Name, "binding", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(corev1.Resource("pods"), b.Name)
		}
		pod := current.(*corev1.Pod)
		switch {
		case b.UID != "" && b.UID != pod.UID:
			//lint:ignore ST1005 upstream's wording, which clients see
			return nil, conflict(fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", b.UID, pod.UID))
		case b.ResourceVersion != "" && b.ResourceVersion != pod.ResourceVersion:
			//lint:ignore ST1005 upstream's wording, which clients see
			return nil, conflict(fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", b.ResourceVersion, pod.ResourceVersion))
		case pod.DeletionTimestamp != nil:
			return nil, conflict(fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", pod.Name))
		case pod.Spec.NodeName != "":
			return nil, conflict(fmt.Errorf("pod %v is already assigned to node %q", pod.Name, pod.Spec.NodeName))
		case len(pod.Spec.SchedulingGates) != 0:
			return nil, conflict(fmt.Errorf("pod %v has non-empty .spec.schedulingGates", pod.Name))
		}
		pod.Spec.NodeName = b.Target.Name
		pod.Status.NominatedNodeName = ""
		for k, v := range b.Annotations {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[k] = v
		}
		for k, v := range b.Labels {
			if pod.Labels == nil {
				pod.Labels = map[string]string{}
			}
			pod.Labels[k] = v
		}
		setPodScheduled(&pod.Status)
		return pod, nil
	}, nil, nil, false, dryRun)
	if err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess}, nil
}

// setPodScheduled marks the PodScheduled condition true.
func setPodScheduled(status *corev1.PodStatus) {
	now := metav1.Now()
	for i := range status.Conditions {
		if status.Conditions[i].Type == corev1.PodScheduled {
			if status.Conditions[i].Status != corev1.ConditionTrue {
				status.Conditions[i].Status = corev1.ConditionTrue
				status.Conditions[i].LastTransitionTime = now
			}
			return
		}
	}
	status.Conditions = append(status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now})
}
