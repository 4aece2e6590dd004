package builtin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/registry"
)

// maxDisruptedPods bounds the evictions a PodDisruptionBudget may hold unconfirmed by
// the disruption controller, as upstream.
const maxDisruptedPods = 2000

var pdbGVR = policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets")

// evictionSubresource serves pods/eviction: a delete that honours the
// PodDisruptionBudgets selecting the pod, answering 429 when they allow no disruption.
func evictionSubresource(deps Deps) registry.Subresource {
	ev := evicter{deps: deps}
	return registry.Subresource{
		Name: "eviction", Kind: policyv1.SchemeGroupVersion.WithKind("Eviction"), Verbs: []string{"create"},
		Create: func(ctx context.Context, ns, name string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
			return ev.evict(ctx, ns, name, obj.(*policyv1.Eviction), dryRun)
		},
	}
}

type evicter struct{ deps Deps }

func (e evicter) evict(ctx context.Context, ns, name string, ev *policyv1.Eviction, dryRun bool) (runtime.Object, error) {
	if ev.Name != name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	opts := ev.DeleteOptions
	if opts == nil {
		opts = &metav1.DeleteOptions{}
	}
	if opts.IgnoreStoreReadErrorWithClusterBreakingPotential != nil && *opts.IgnoreStoreReadErrorWithClusterBreakingPotential {
		return nil, apierrors.NewInvalid(policyv1.SchemeGroupVersion.WithKind("Eviction").GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("deleteOptions", "ignoreStoreReadErrorWithClusterBreakingPotential"), true, "can not be set for pod eviction, try after removing the option")})
	}
	if len(opts.DryRun) > 0 {
		dryRun = true
	}
	pods := e.deps.Stores(podsGVR)
	obj, err := pods.Get(ctx, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod := obj.(*corev1.Pod)
	// Pods that are not running (or already going) need no budget.
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed ||
		pod.Status.Phase == corev1.PodPending || pod.DeletionTimestamp != nil {
		if err := e.deletePod(ctx, pod, opts, dryRun); err != nil {
			return nil, err
		}
		return &metav1.Status{Status: metav1.StatusSuccess}, nil
	}
	pdbs, err := e.budgetsFor(ctx, pod)
	if err != nil {
		return nil, err
	}
	if len(pdbs) > 1 {
		return &metav1.Status{Status: metav1.StatusFailure, Code: 500,
			Message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."}, nil
	}
	guarded := false
	if len(pdbs) == 1 {
		pdb := pdbs[0]
		unhealthyAllowed := !podReady(pod) && ((pdb.Spec.UnhealthyPodEvictionPolicy != nil && *pdb.Spec.UnhealthyPodEvictionPolicy == policyv1.AlwaysAllow) ||
			(pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy && pdb.Status.DesiredHealthy > 0))
		if unhealthyAllowed {
			guarded = true
		} else if err := e.takeDisruption(ctx, ns, pod.Name, pdb.Name, dryRun); err != nil {
			return nil, err
		}
	}
	if guarded && (opts.Preconditions == nil || opts.Preconditions.ResourceVersion == nil) {
		// An unhealthy pod goes only if it did not change since the budget was read.
		opts = opts.DeepCopy()
		rv := pod.ResourceVersion
		opts.Preconditions = &metav1.Preconditions{UID: optsUID(opts), ResourceVersion: &rv}
		if err := e.deletePod(ctx, pod, opts, dryRun); err != nil {
			if apierrors.IsConflict(err) {
				return nil, tooManyRequests(pdbs[0].Name)
			}
			return nil, err
		}
		return &metav1.Status{Status: metav1.StatusSuccess}, nil
	}
	if err := e.deletePod(ctx, pod, opts, dryRun); err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess}, nil
}

func optsUID(o *metav1.DeleteOptions) *types.UID {
	if o.Preconditions == nil {
		return nil
	}
	return o.Preconditions.UID
}

// budgetsFor returns the PodDisruptionBudgets of the pod's namespace that select it.
func (e evicter) budgetsFor(ctx context.Context, pod *corev1.Pod) ([]*policyv1.PodDisruptionBudget, error) {
	st := e.deps.Stores(pdbGVR)
	if st == nil {
		return nil, nil
	}
	list, err := st.List(ctx, pod.Namespace, &metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []*policyv1.PodDisruptionBudget
	for i := range list.(*policyv1.PodDisruptionBudgetList).Items {
		pdb := &list.(*policyv1.PodDisruptionBudgetList).Items[i]
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			continue
		}
		out = append(out, pdb)
	}
	return out, nil
}

// takeDisruption uses one of the budget's allowed disruptions, recording the pod in
// status.disruptedPods, or fails with upstream's 429 (or 403) when none is left.
func (e evicter) takeDisruption(ctx context.Context, ns, podName, pdbName string, dryRun bool) error {
	st := e.deps.Stores(pdbGVR)
	_, _, err := st.Update(ctx, ns, pdbName, "status", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(policyv1.Resource("poddisruptionbudgets"), pdbName)
		}
		pdb := cur.(*policyv1.PodDisruptionBudget)
		if err := disruptionAllowed(pdb); err != nil {
			return nil, err
		}
		pdb.Status.DisruptionsAllowed--
		if pdb.Status.DisruptionsAllowed == 0 {
			apimeta.SetStatusCondition(&pdb.Status.Conditions, metav1.Condition{Type: policyv1.DisruptionAllowedCondition,
				Status: metav1.ConditionFalse, Reason: policyv1.InsufficientPodsReason, ObservedGeneration: pdb.Status.ObservedGeneration})
		}
		if pdb.Status.DisruptedPods == nil {
			pdb.Status.DisruptedPods = map[string]metav1.Time{}
		}
		pdb.Status.DisruptedPods[podName] = metav1.Time{Time: time.Now()}
		return pdb, nil
	}, nil, nil, false, dryRun)
	return err
}

// disruptionAllowed explains, in upstream's words, why a budget allows no eviction.
func disruptionAllowed(pdb *policyv1.PodDisruptionBudget) error {
	forbid := func(reason, cause string) error {
		err := apierrors.NewForbidden(policyv1.Resource("poddisruptionbudget"), pdb.Name, errors.New(reason))
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause,
			Message: fmt.Sprintf("The disruption budget %s does not allow evicting pods currently: %s", pdb.Name, cause)})
		return err
	}
	switch {
	case pdb.Status.ObservedGeneration < pdb.Generation:
		return tooManyRequests(pdb.Name)
	case pdb.Status.DisruptionsAllowed < 0:
		return forbid("pdb disruptions allowed is negative", "pdb disruptions allowed is negative")
	case len(pdb.Status.DisruptedPods) > maxDisruptedPods:
		return forbid("DisruptedPods map too big - too many evictions not confirmed by PDB controller", "too many pending evictions not confirmed by PDB controller")
	case pdb.Status.DisruptionsAllowed > 0:
		return nil
	}
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
	cond := apimeta.FindStatusCondition(pdb.Status.Conditions, policyv1.DisruptionAllowedCondition)
	var msg string
	switch {
	case cond != nil && cond.Status == metav1.ConditionFalse && cond.Message != "" && cond.Reason == policyv1.SyncFailedReason:
		msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently because it failed sync: %s", pdb.Name, cond.Message)
	case pdb.Status.CurrentHealthy <= pdb.Status.DesiredHealthy:
		msg = fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy)
	case cond != nil && cond.Status == metav1.ConditionFalse && cond.Message != "":
		msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently (%s): %s", pdb.Name, cond.Reason, cond.Message)
	default:
		msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently", pdb.Name)
	}
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: msg})
	return err
}

func tooManyRequests(pdbName string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Type: policyv1.DisruptionBudgetCause,
		Message: fmt.Sprintf("The disruption budget %s is still being processed by the server.", pdbName)})
	return err
}

// deletePod marks the pod as a disruption target and deletes it.
func (e evicter) deletePod(ctx context.Context, pod *corev1.Pod, opts *metav1.DeleteOptions, dryRun bool) error {
	pods := e.deps.Stores(podsGVR)
	if !dryRun {
		updated, _, err := pods.Update(ctx, pod.Namespace, pod.Name, "status", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
			if cur == nil {
				return nil, apierrors.NewNotFound(corev1.Resource("pods"), pod.Name)
			}
			p := cur.(*corev1.Pod)
			if pre := opts.Preconditions; pre != nil {
				if pre.UID != nil && *pre.UID != "" && *pre.UID != p.UID {
					return nil, apierrors.NewConflict(corev1.Resource("Pod"), p.Name, fmt.Errorf("the UID in the precondition (%s) does not match the UID in record (%s). The object might have been deleted and then recreated", *pre.UID, p.UID))
				}
				if pre.ResourceVersion != nil && *pre.ResourceVersion != "" && *pre.ResourceVersion != p.ResourceVersion {
					return nil, apierrors.NewConflict(corev1.Resource("Pod"), p.Name, fmt.Errorf("the ResourceVersion in the precondition (%s) does not match the ResourceVersion in record (%s). The object might have been modified", *pre.ResourceVersion, p.ResourceVersion))
				}
			}
			setDisruptionTarget(&p.Status)
			return p, nil
		}, nil, nil, false, false)
		if err != nil {
			return err
		}
		if opts.Preconditions != nil && opts.Preconditions.ResourceVersion != nil {
			opts = opts.DeepCopy()
			rv := updated.(metav1.Object).GetResourceVersion()
			opts.Preconditions.ResourceVersion = &rv
		}
	}
	_, _, err := pods.Delete(ctx, pod.Namespace, pod.Name, opts, nil, dryRun)
	return err
}

func setDisruptionTarget(st *corev1.PodStatus) {
	cond := corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "EvictionByEvictionAPI",
		Message: "Eviction API: evicting", LastTransitionTime: metav1.Now()}
	i := slices.IndexFunc(st.Conditions, func(c corev1.PodCondition) bool { return c.Type == corev1.DisruptionTarget })
	if i < 0 {
		st.Conditions = append(st.Conditions, cond)
		return
	}
	if st.Conditions[i].Status != cond.Status {
		st.Conditions[i] = cond
		return
	}
	st.Conditions[i].Reason, st.Conditions[i].Message = cond.Reason, cond.Message
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
