package validation

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func int32Val(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// intOrPercent checks a non-negative int or a "N%" string.
func intOrPercent(v *intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	switch v.Type {
	case intstr.String:
		var allErrs field.ErrorList
		for _, msg := range utilvalidation.IsValidPercent(v.StrVal) {
			allErrs = append(allErrs, field.Invalid(fldPath, *v, msg))
		}
		if pct, ok := percent(v); ok && pct > 100 {
			allErrs = append(allErrs, field.Invalid(fldPath, *v, "must not be greater than 100%"))
		}
		return allErrs
	case intstr.Int:
		return nonNegative(int64(v.IntValue()), fldPath)
	}
	return field.ErrorList{field.Invalid(fldPath, *v, "must be an integer or percentage (e.g '5%%')")}
}

func percent(v *intstr.IntOrString) (int, bool) {
	if v == nil || v.Type != intstr.String || len(utilvalidation.IsValidPercent(v.StrVal)) != 0 {
		return 0, false
	}
	n, _ := strconv.Atoi(v.StrVal[:len(v.StrVal)-1])
	return n, true
}

func intOrPercentValue(v *intstr.IntOrString) int {
	if v == nil {
		return 0
	}
	if n, ok := percent(v); ok {
		return n
	}
	return v.IntValue()
}

// ValidateDeployment checks a deployment on create.
func ValidateDeployment(obj runtime.Object) field.ErrorList {
	return create(obj, validateDeployment)
}

func validateDeployment(d *appsv1.Deployment) field.ErrorList {
	allErrs := objectMeta(&d.ObjectMeta, true, NameIsDNSSubdomain)
	p := field.NewPath("spec")
	allErrs = append(allErrs, nonNegative(int64(int32Val(d.Spec.Replicas)), p.Child("replicas"))...)
	sel, errs := labelSelector(d.Spec.Selector, "deployment", p.Child("selector"))
	allErrs = append(allErrs, errs...)
	if sel != nil {
		allErrs = append(allErrs, controllerTemplate(&d.Spec.Template, sel, "ReplicaSet", p.Child("template"))...)
	}
	sp := p.Child("strategy")
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if d.Spec.Strategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Forbidden(sp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		ru := d.Spec.Strategy.RollingUpdate
		if ru == nil {
			allErrs = append(allErrs, field.Required(sp.Child("rollingUpdate"), "this should be defaulted and never be nil"))
			break
		}
		rp := sp.Child("rollingUpdate")
		allErrs = append(allErrs, intOrPercent(ru.MaxUnavailable, rp.Child("maxUnavailable"))...)
		allErrs = append(allErrs, intOrPercent(ru.MaxSurge, rp.Child("maxSurge"))...)
		if intOrPercentValue(ru.MaxUnavailable) == 0 && intOrPercentValue(ru.MaxSurge) == 0 {
			allErrs = append(allErrs, field.Invalid(rp.Child("maxUnavailable"), ru.MaxUnavailable, "may not be 0 when `maxSurge` is 0"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(sp, d.Spec.Strategy, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
	}
	allErrs = append(allErrs, nonNegative(int64(d.Spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	if d.Spec.RevisionHistoryLimit != nil {
		allErrs = append(allErrs, nonNegative(int64(*d.Spec.RevisionHistoryLimit), p.Child("revisionHistoryLimit"))...)
	}
	if pds := d.Spec.ProgressDeadlineSeconds; pds != nil {
		allErrs = append(allErrs, nonNegative(int64(*pds), p.Child("progressDeadlineSeconds"))...)
		if *pds <= d.Spec.MinReadySeconds {
			allErrs = append(allErrs, field.Invalid(p.Child("progressDeadlineSeconds"), pds, "must be greater than minReadySeconds"))
		}
	}
	return allErrs
}

// ValidateDeploymentUpdate additionally keeps the selector fixed.
func ValidateDeploymentUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(d, old *appsv1.Deployment) field.ErrorList {
		allErrs := objectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, validateDeployment(d)...)
		return append(allErrs, immutable(d.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
	})
}

// ValidateDeploymentStatusUpdate checks counters and that collisionCount only grows.
func ValidateDeploymentStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(d, old *appsv1.Deployment) field.ErrorList {
		s, p := d.Status, field.NewPath("status")
		allErrs := objectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, nonNegative(s.ObservedGeneration, p.Child("observedGeneration"))...)
		allErrs = append(allErrs, nonNegative(int64(s.UpdatedReplicas), p.Child("updatedReplicas"))...)
		allErrs = append(allErrs, nonNegative(int64(s.UnavailableReplicas), p.Child("unavailableReplicas"))...)
		allErrs = append(allErrs, replicaCounts(p, 0, s.Replicas, 0, s.ReadyReplicas, s.AvailableReplicas)...)
		if s.UpdatedReplicas > s.Replicas {
			allErrs = append(allErrs, field.Invalid(p.Child("updatedReplicas"), s.UpdatedReplicas, "cannot be greater than status.replicas"))
		}
		return append(allErrs, collisionCount(s.CollisionCount, old.Status.CollisionCount, p.Child("collisionCount"))...)
	})
}

func collisionCount(now, was *int32, fldPath *field.Path) field.ErrorList {
	if now != nil && *now < 0 {
		return nonNegative(int64(*now), fldPath)
	}
	if was != nil && (now == nil || *now < *was) {
		return field.ErrorList{field.Invalid(fldPath, int32Val(now), "cannot be decremented")}
	}
	return nil
}

// ValidateReplicaSet checks a replica set on create.
func ValidateReplicaSet(obj runtime.Object) field.ErrorList {
	return create(obj, validateReplicaSet)
}

func validateReplicaSet(rs *appsv1.ReplicaSet) field.ErrorList {
	allErrs := objectMeta(&rs.ObjectMeta, true, NameIsDNSSubdomain)
	p := field.NewPath("spec")
	allErrs = append(allErrs, nonNegative(int64(int32Val(rs.Spec.Replicas)), p.Child("replicas"))...)
	allErrs = append(allErrs, nonNegative(int64(rs.Spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	// Upstream names deployments in this message for replica sets too.
	sel, errs := labelSelector(rs.Spec.Selector, "deployment", p.Child("selector"))
	allErrs = append(allErrs, errs...)
	if sel != nil {
		allErrs = append(allErrs, controllerTemplate(&rs.Spec.Template, sel, "ReplicaSet", p.Child("template"))...)
	}
	return allErrs
}

// ValidateReplicaSetUpdate additionally keeps the selector fixed.
func ValidateReplicaSetUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(rs, old *appsv1.ReplicaSet) field.ErrorList {
		allErrs := objectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, validateReplicaSet(rs)...)
		return append(allErrs, immutable(rs.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
	})
}

// ValidateReplicaSetStatusUpdate checks the replica counters.
func ValidateReplicaSetStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(rs, old *appsv1.ReplicaSet) field.ErrorList {
		s := rs.Status
		return append(objectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta),
			replicaCounts(field.NewPath("status"), s.ObservedGeneration, s.Replicas, s.FullyLabeledReplicas, s.ReadyReplicas, s.AvailableReplicas)...)
	})
}

// ValidateStatefulSet checks a stateful set on create; names are DNS labels because
// they become pod host names.
func ValidateStatefulSet(obj runtime.Object) field.ErrorList {
	return create(obj, func(ss *appsv1.StatefulSet) field.ErrorList {
		return append(objectMeta(&ss.ObjectMeta, true, NameIsDNSLabel), statefulSetSpec(&ss.Spec)...)
	})
}

func statefulSetSpec(spec *appsv1.StatefulSetSpec) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec")
	switch spec.PodManagementPolicy {
	case "":
		allErrs = append(allErrs, field.Required(p.Child("podManagementPolicy"), ""))
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	default:
		allErrs = append(allErrs, field.Invalid(p.Child("podManagementPolicy"), spec.PodManagementPolicy, "must be 'OrderedReady' or 'Parallel'"))
	}
	up := p.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case "":
		allErrs = append(allErrs, field.Required(up, ""))
	case appsv1.OnDeleteStatefulSetStrategyType:
		if spec.UpdateStrategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Invalid(up.Child("rollingUpdate"), spec.UpdateStrategy.RollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if ru := spec.UpdateStrategy.RollingUpdate; ru != nil {
			rp := up.Child("rollingUpdate")
			allErrs = append(allErrs, nonNegative(int64(int32Val(ru.Partition)), rp.Child("partition"))...)
			if ru.MaxUnavailable != nil {
				allErrs = append(allErrs, intOrPercent(ru.MaxUnavailable, rp.Child("maxUnavailable"))...)
				if intOrPercentValue(ru.MaxUnavailable) == 0 {
					allErrs = append(allErrs, field.Invalid(rp.Child("maxUnavailable"), *ru.MaxUnavailable, "cannot be 0"))
				}
			}
		}
	default:
		allErrs = append(allErrs, field.Invalid(up, spec.UpdateStrategy, "must be 'RollingUpdate' or 'OnDelete'"))
	}
	for i := range spec.VolumeClaimTemplates {
		allErrs = append(allErrs, claimSpec(&spec.VolumeClaimTemplates[i].Spec, p.Child("volumeClaimTemplates").Index(i).Child("spec"))...)
	}
	allErrs = append(allErrs, nonNegative(int64(int32Val(spec.Replicas)), p.Child("replicas"))...)
	allErrs = append(allErrs, nonNegative(int64(spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	if spec.ServiceName != "" {
		allErrs = append(allErrs, dns1123Label(spec.ServiceName, p.Child("serviceName"))...)
	}
	sel, errs := labelSelector(spec.Selector, "statefulset", p.Child("selector"))
	allErrs = append(allErrs, errs...)
	if sel != nil {
		// The controller sets hostname and subdomain and adds a volume per claim
		// template, so validate the template as the pods will be.
		t := spec.Template.DeepCopy()
		t.Spec.Hostname, t.Spec.Subdomain = "", ""
		for _, c := range spec.VolumeClaimTemplates {
			if !slices.ContainsFunc(t.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == c.Name }) {
				t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: c.Name, VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}})
			}
		}
		allErrs = append(allErrs, controllerTemplate(t, sel, "StatefulSet", p.Child("template"))...)
	}
	return allErrs
}

// ValidateStatefulSetUpdate keeps selector, claim templates, service name and pod
// management policy fixed.
func ValidateStatefulSetUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ss, old *appsv1.StatefulSet) field.ErrorList {
		p := field.NewPath("spec")
		allErrs := objectMetaUpdate(&ss.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, statefulSetSpec(&ss.Spec)...)
		allErrs = append(allErrs, immutable(ss.Spec.Selector, old.Spec.Selector, p.Child("selector"))...)
		allErrs = append(allErrs, immutable(ss.Spec.VolumeClaimTemplates, old.Spec.VolumeClaimTemplates, p.Child("volumeClaimTemplates"))...)
		allErrs = append(allErrs, immutable(ss.Spec.ServiceName, old.Spec.ServiceName, p.Child("serviceName"))...)
		return append(allErrs, immutable(ss.Spec.PodManagementPolicy, old.Spec.PodManagementPolicy, p.Child("podManagementPolicy"))...)
	})
}

// ValidateStatefulSetStatusUpdate checks counters and collisionCount.
func ValidateStatefulSetStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ss, old *appsv1.StatefulSet) field.ErrorList {
		s, p := ss.Status, field.NewPath("status")
		allErrs := objectMetaUpdate(&ss.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, replicaCounts(p, s.ObservedGeneration, s.Replicas, 0, s.ReadyReplicas, s.AvailableReplicas)...)
		allErrs = append(allErrs, nonNegative(int64(s.CurrentReplicas), p.Child("currentReplicas"))...)
		allErrs = append(allErrs, nonNegative(int64(s.UpdatedReplicas), p.Child("updatedReplicas"))...)
		return append(allErrs, collisionCount(s.CollisionCount, old.Status.CollisionCount, p.Child("collisionCount"))...)
	})
}

// ValidateDaemonSet checks a daemon set on create.
func ValidateDaemonSet(obj runtime.Object) field.ErrorList {
	return create(obj, validateDaemonSet)
}

func validateDaemonSet(ds *appsv1.DaemonSet) field.ErrorList {
	allErrs := objectMeta(&ds.ObjectMeta, true, NameIsDNSSubdomain)
	p := field.NewPath("spec")
	sel, errs := labelSelector(ds.Spec.Selector, "daemonset", p.Child("selector"))
	allErrs = append(allErrs, errs...)
	if sel == nil {
		sel = labels.Nothing()
	}
	allErrs = append(allErrs, controllerTemplate(&ds.Spec.Template, sel, "DaemonSet", p.Child("template"))...)
	allErrs = append(allErrs, nonNegative(int64(ds.Spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	up := p.Child("updateStrategy")
	switch ds.Spec.UpdateStrategy.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		ru := ds.Spec.UpdateStrategy.RollingUpdate
		if ru == nil {
			allErrs = append(allErrs, field.Required(up.Child("rollingUpdate"), ""))
			break
		}
		rp := up.Child("rollingUpdate")
		allErrs = append(allErrs, intOrPercent(ru.MaxUnavailable, rp.Child("maxUnavailable"))...)
		allErrs = append(allErrs, intOrPercent(ru.MaxSurge, rp.Child("maxSurge"))...)
		hasU, hasS := intOrPercentValue(ru.MaxUnavailable) != 0, intOrPercentValue(ru.MaxSurge) != 0
		switch {
		case hasU && hasS:
			allErrs = append(allErrs, field.Invalid(rp.Child("maxSurge"), ru.MaxSurge, "may not be set when maxUnavailable is non-zero"))
		case !hasU && !hasS:
			allErrs = append(allErrs, field.Required(rp.Child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(up, ds.Spec.UpdateStrategy, []string{string(appsv1.RollingUpdateDaemonSetStrategyType), string(appsv1.OnDeleteDaemonSetStrategyType)}))
	}
	if ds.Spec.RevisionHistoryLimit != nil {
		allErrs = append(allErrs, nonNegative(int64(*ds.Spec.RevisionHistoryLimit), p.Child("revisionHistoryLimit"))...)
	}
	return allErrs
}

// ValidateDaemonSetUpdate additionally keeps the selector fixed.
func ValidateDaemonSetUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ds, old *appsv1.DaemonSet) field.ErrorList {
		allErrs := objectMetaUpdate(&ds.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, immutable(ds.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
		return append(allErrs, validateDaemonSet(ds)...)
	})
}

// ValidateDaemonSetStatusUpdate checks counters and collisionCount.
func ValidateDaemonSetStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ds, old *appsv1.DaemonSet) field.ErrorList {
		s, p := ds.Status, field.NewPath("status")
		allErrs := objectMetaUpdate(&ds.ObjectMeta, &old.ObjectMeta)
		for _, c := range []struct {
			name string
			v    int32
		}{{"currentNumberScheduled", s.CurrentNumberScheduled}, {"numberMisscheduled", s.NumberMisscheduled},
			{"desiredNumberScheduled", s.DesiredNumberScheduled}, {"numberReady", s.NumberReady},
			{"updatedNumberScheduled", s.UpdatedNumberScheduled}, {"numberAvailable", s.NumberAvailable},
			{"numberUnavailable", s.NumberUnavailable}} {
			allErrs = append(allErrs, nonNegative(int64(c.v), p.Child(c.name))...)
		}
		allErrs = append(allErrs, nonNegative(s.ObservedGeneration, p.Child("observedGeneration"))...)
		return append(allErrs, collisionCount(s.CollisionCount, old.Status.CollisionCount, p.Child("collisionCount"))...)
	})
}

// ValidateControllerRevision requires a JSON object as data.
func ValidateControllerRevision(obj runtime.Object) field.ErrorList {
	return create(obj, func(cr *appsv1.ControllerRevision) field.ErrorList {
		allErrs := objectMeta(&cr.ObjectMeta, true, NameIsDNSSubdomain)
		allErrs = append(allErrs, nonNegative(cr.Revision, field.NewPath("revision"))...)
		var v any
		dp := field.NewPath("data")
		switch {
		case cr.Data.Raw == nil:
			allErrs = append(allErrs, field.Required(dp, "data is mandatory"))
		case json.Unmarshal(cr.Data.Raw, &v) != nil:
			err := json.Unmarshal(cr.Data.Raw, &v)
			allErrs = append(allErrs, field.Invalid(dp, "<value omitted>", fmt.Sprintf("error parsing data: %v", err.Error())))
		case v == nil:
			allErrs = append(allErrs, field.Required(dp, "data is mandatory"))
		default:
			if _, ok := v.(map[string]any); !ok {
				allErrs = append(allErrs, field.Required(dp, "data must be a valid JSON object"))
			}
		}
		return allErrs
	})
}

// ValidateControllerRevisionUpdate keeps data fixed.
func ValidateControllerRevisionUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(cr, old *appsv1.ControllerRevision) field.ErrorList {
		allErrs := objectMetaUpdate(&cr.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, objectMeta(&cr.ObjectMeta, true, NameIsDNSSubdomain)...)
		allErrs = append(allErrs, nonNegative(cr.Revision, field.NewPath("revision"))...)
		return append(allErrs, immutable(cr.Data, old.Data, field.NewPath("data"))...)
	})
}
