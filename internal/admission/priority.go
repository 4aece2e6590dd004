package admission

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["Priority"] = func(d Deps, _ []byte) (any, error) { return priority{d}, nil }
}

// priority resolves a pod's priorityClassName (or the globalDefault class) into
// spec.priority and spec.preemptionPolicy, and keeps a single globalDefault class.
type priority struct{ d Deps }

func (p priority) Admit(ctx context.Context, a *endpoints.Attributes) error {
	if !isMain(a, "", "pods") {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	switch a.Operation {
	case "UPDATE":
		// The values set at create are kept; validation refuses changes.
		if old, ok := a.OldObject.(*corev1.Pod); ok {
			if pod.Spec.Priority == nil {
				pod.Spec.Priority = old.Spec.Priority
			}
			if pod.Spec.PreemptionPolicy == nil {
				pod.Spec.PreemptionPolicy = old.Spec.PreemptionPolicy
			}
		}
		return nil
	case "CREATE":
	default:
		return nil
	}
	name, value, policy, err := p.resolve(ctx, a, pod.Spec.PriorityClassName)
	if err != nil {
		return err
	}
	pod.Spec.PriorityClassName = name
	if pod.Spec.Priority != nil && *pod.Spec.Priority != value {
		return forbidden(a, fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, value))
	}
	pod.Spec.Priority = &value
	if policy != nil {
		if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != *policy {
			return forbidden(a, fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, *policy))
		}
		pol := *policy
		pod.Spec.PreemptionPolicy = &pol
	}
	return nil
}

// resolve returns the class name, value and policy for className ("" = the default).
func (p priority) resolve(ctx context.Context, a *endpoints.Attributes, className string) (string, int32, *corev1.PreemptionPolicy, error) {
	if className == "" {
		def, err := p.defaultClass(ctx)
		if err != nil {
			return "", 0, nil, apierrors.NewInternalError(fmt.Errorf("error occurred while retrieving default priority class: %w", err))
		}
		if def == nil {
			policy := corev1.PreemptLowerPriority
			return "", 0, &policy, nil
		}
		return def.Name, def.Value, def.PreemptionPolicy, nil
	}
	obj, err := getCached(ctx, p.d, priorityClassesGVR, "", className)
	if apierrors.IsNotFound(err) {
		return "", 0, nil, forbidden(a, fmt.Errorf("no PriorityClass with name %v was found", className))
	}
	if err != nil {
		return "", 0, nil, apierrors.NewInternalError(fmt.Errorf("failed to resolve PriorityClass with name %s: %w", className, err))
	}
	pc, ok := obj.(*schedulingv1.PriorityClass)
	if !ok {
		return "", 0, nil, apierrors.NewInternalError(fmt.Errorf("unexpected %T", obj))
	}
	return className, pc.Value, pc.PreemptionPolicy, nil
}

// defaultClass is the globalDefault class with the lowest value (several may exist
// after a race), or nil.
func (p priority) defaultClass(ctx context.Context) (*schedulingv1.PriorityClass, error) {
	obj, err := listCached(ctx, p.d, priorityClassesGVR, "")
	if err != nil {
		return nil, err
	}
	list, _ := obj.(*schedulingv1.PriorityClassList)
	if list == nil {
		return nil, nil
	}
	var def *schedulingv1.PriorityClass
	for i := range list.Items {
		pc := &list.Items[i]
		if pc.GlobalDefault && (def == nil || pc.Value < def.Value) {
			def = pc
		}
	}
	return def, nil
}

func (p priority) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if !isMain(a, "scheduling.k8s.io", "priorityclasses") || (a.Operation != "CREATE" && a.Operation != "UPDATE") {
		return nil
	}
	pc, ok := a.Object.(*schedulingv1.PriorityClass)
	if !ok || !pc.GlobalDefault {
		return nil
	}
	def, err := p.defaultClass(ctx)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("failed to get default priority class: %v", err))
	}
	if def != nil && (a.Operation == "CREATE" || def.Name != pc.Name) {
		return forbidden(a, fmt.Errorf("PriorityClass %v is already marked as default. Only one default can exist", def.Name))
	}
	return nil
}
