package admission

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// quotaEvaluator knows what one resource costs against a ResourceQuota.
type quotaEvaluator struct {
	gr schema.GroupResource
	// names are the quota resource names the evaluator accounts for.
	names sets.Set[string]
	// prefixes extend names (hugepages, extended resources).
	matchName func(name string) bool
	// handles reports whether the request changes usage.
	handles func(a *endpoints.Attributes) bool
	usage   func(obj runtime.Object) corev1.ResourceList
	// scope reports whether obj matches one scope selector; nil matches no scope.
	scope func(sel corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error)
	// constraints refuses objects the quota cannot account for.
	constraints func(required []string, obj runtime.Object) error
}

// countName is the object-count quota name of gr: count/<resource>[.<group>].
func countName(gr schema.GroupResource) string {
	if gr.Group == "" {
		return "count/" + gr.Resource
	}
	return "count/" + gr.Resource + "." + gr.Group
}

// legacyCountNames are the object counts quota knew before count/<resource>.
var legacyCountNames = map[schema.GroupResource]string{
	{Resource: "configmaps"}:             "configmaps",
	{Resource: "resourcequotas"}:         "resourcequotas",
	{Resource: "replicationcontrollers"}: "replicationcontrollers",
	{Resource: "secrets"}:                "secrets",
}

// quotaIgnored are never charged, as upstream.
var quotaIgnored = map[schema.GroupResource]bool{
	{Resource: "events"}:                         true,
	{Group: "events.k8s.io", Resource: "events"}: true,
}

// evaluatorFor returns what objects of gr cost against a quota.
func evaluatorFor(gr schema.GroupResource) *quotaEvaluator {
	if ev, ok := evaluators.Load(gr); ok {
		return ev.(*quotaEvaluator)
	}
	ev, _ := evaluators.LoadOrStore(gr, newEvaluator(gr))
	return ev.(*quotaEvaluator)
}

// evaluators keeps the evaluator of each resource seen: they never change, and
// every create of a quota-counted resource asks for one.
var evaluators sync.Map // schema.GroupResource → *quotaEvaluator

func newEvaluator(gr schema.GroupResource) *quotaEvaluator {
	switch gr {
	case schema.GroupResource{Resource: "pods"}:
		return podEvaluator()
	case schema.GroupResource{Resource: "services"}:
		return serviceEvaluator()
	case schema.GroupResource{Resource: "persistentvolumeclaims"}:
		return pvcEvaluator()
	}
	names := sets.New(countName(gr))
	if alias := legacyCountNames[gr]; alias != "" {
		names.Insert(alias)
	}
	return &quotaEvaluator{
		gr: gr, names: names,
		handles: func(a *endpoints.Attributes) bool { return a.Operation == "CREATE" && a.Subresource == "" },
		usage: func(runtime.Object) corev1.ResourceList {
			out := corev1.ResourceList{}
			for n := range names {
				out[corev1.ResourceName(n)] = *resource.NewQuantity(1, resource.DecimalSI)
			}
			return out
		},
	}
}

// matching filters names to those the evaluator accounts for.
func (e *quotaEvaluator) matching(names []string) []string {
	var out []string
	for _, n := range names {
		if e.names.Has(n) || (e.matchName != nil && e.matchName(n)) {
			out = append(out, n)
		}
	}
	return out
}

func one() resource.Quantity { return *resource.NewQuantity(1, resource.DecimalSI) }

func podEvaluator() *quotaEvaluator {
	gr := schema.GroupResource{Resource: "pods"}
	return &quotaEvaluator{
		gr: gr,
		names: sets.New(countName(gr), "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
			"requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods"),
		matchName: func(n string) bool {
			if strings.HasPrefix(n, corev1.ResourceHugePagesPrefix) || strings.HasPrefix(n, corev1.ResourceRequestsHugePagesPrefix) {
				return true
			}
			return strings.HasPrefix(n, corev1.DefaultResourceRequestsPrefix) && !isNativeResource(n)
		},
		handles:     podChangesUsage,
		usage:       func(obj runtime.Object) corev1.ResourceList { return podUsage(obj.(*corev1.Pod), time.Now()) },
		scope:       podMatchesScope,
		constraints: podConstraints,
	}
}

// podChangesUsage: a pod is charged when created, when an update moves it between
// the Terminating and NotTerminating scopes (activeDeadlineSeconds set or cleared,
// so quotas of the scope it enters count it), and when it is resized, as upstream.
func podChangesUsage(a *endpoints.Attributes) bool {
	switch a.Subresource {
	case "":
		if a.Operation == "UPDATE" {
			pod, ok := a.Object.(*corev1.Pod)
			old, ok2 := a.OldObject.(*corev1.Pod)
			if ok && ok2 && podTerminating(pod) != podTerminating(old) {
				return true
			}
		}
		return a.Operation == "CREATE"
	case "resize":
		return a.Operation == "UPDATE"
	}
	return false
}

// pvcChangesUsage: claims are charged on create and update, and when a status
// update changes what they hold (allocated storage, or a volume attributes class
// that quota scopes match), as upstream.
func pvcChangesUsage(a *endpoints.Attributes) bool {
	switch a.Subresource {
	case "":
		return a.Operation == "CREATE" || a.Operation == "UPDATE"
	case "status":
		pvc, ok := a.Object.(*corev1.PersistentVolumeClaim)
		old, ok2 := a.OldObject.(*corev1.PersistentVolumeClaim)
		if !ok || !ok2 {
			return false
		}
		allocated, was := pvc.Status.AllocatedResources[corev1.ResourceStorage], old.Status.AllocatedResources[corev1.ResourceStorage]
		return allocated.Cmp(was) != 0 || !volumeAttributesClasses(pvc).Equal(volumeAttributesClasses(old))
	}
	return false
}

// pvcMatchesScope matches the VolumeAttributesClass scope against every class the
// claim names: asked for, current, or the target of a modification.
func pvcMatchesScope(sel corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok || sel.ScopeName != corev1.ResourceQuotaScopeVolumeAttributesClass {
		return false, nil
	}
	classes := volumeAttributesClasses(pvc)
	if classes.Len() == 0 {
		return matchValue(sel, false, "")
	}
	for _, class := range sets.List(classes) {
		if ok, err := matchValue(sel, true, class); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func volumeAttributesClasses(pvc *corev1.PersistentVolumeClaim) sets.Set[string] {
	out := sets.New[string]()
	if n := pvc.Spec.VolumeAttributesClassName; n != nil && *n != "" {
		out.Insert(*n)
	}
	if n := pvc.Status.CurrentVolumeAttributesClassName; n != nil && *n != "" {
		out.Insert(*n)
	}
	if m := pvc.Status.ModifyVolumeStatus; m != nil && m.TargetVolumeAttributesClassName != "" {
		out.Insert(m.TargetVolumeAttributesClassName)
	}
	return out
}

// podTerminating: the pod has an active deadline (quota's Terminating scope).
func podTerminating(pod *corev1.Pod) bool {
	return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
}

// createOrUpdate: objects whose usage an update can change (services, claims).
func createOrUpdate(a *endpoints.Attributes) bool {
	return (a.Operation == "CREATE" || a.Operation == "UPDATE") && a.Subresource == ""
}

// isNativeResource: names without a domain or in kubernetes.io's.
func isNativeResource(n string) bool {
	if !strings.Contains(n, "/") {
		return true
	}
	domain := strings.SplitN(n, "/", 2)[0]
	return domain == "kubernetes.io" || strings.HasSuffix(domain, ".kubernetes.io")
}

// podCounts reports whether a pod still uses its resources: not finished, not past
// its deletion grace period.
func podCounts(pod *corev1.Pod, now time.Time) bool {
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil &&
		now.After(pod.DeletionTimestamp.Add(time.Duration(*pod.DeletionGracePeriodSeconds)*time.Second)) {
		return false
	}
	return true
}

func podUsage(pod *corev1.Pod, now time.Time) corev1.ResourceList {
	out := corev1.ResourceList{corev1.ResourceName(countName(schema.GroupResource{Resource: "pods"})): one()}
	if !podCounts(pod, now) {
		return out
	}
	addResources(out, computeUsage(podTotals(pod, false, true), podTotals(pod, true, true)))
	return out
}

// computeUsage maps requests and limits to quota names.
func computeUsage(requests, limits corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{corev1.ResourcePods: one()}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := requests[r]; ok {
			out[r] = q.DeepCopy()
			out["requests."+r] = q.DeepCopy()
		}
		if q, ok := limits[r]; ok {
			out["limits."+r] = q.DeepCopy()
		}
	}
	for r, q := range requests {
		switch {
		case strings.HasPrefix(string(r), corev1.ResourceHugePagesPrefix):
			out[r] = q.DeepCopy()
			out["requests."+r] = q.DeepCopy()
		case !isNativeResource(string(r)) && !strings.HasPrefix(string(r), corev1.DefaultResourceRequestsPrefix):
			out["requests."+r] = q.DeepCopy()
		}
	}
	return out
}

// podConstraints keeps upstream's old rule: quota on cpu or memory needs every
// container to state it, unless the pod sets pod-level resources.
func podConstraints(required []string, obj runtime.Object) error {
	pod := obj.(*corev1.Pod)
	if pod.Spec.Resources != nil && (len(pod.Spec.Resources.Requests) > 0 || len(pod.Spec.Resources.Limits) > 0) {
		return nil
	}
	checked := sets.New[string]("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
	req := sets.New(required...).Intersection(checked)
	missing := map[string]sets.Set[string]{}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			have := sets.New[string]()
			for n := range computeUsage(c.Resources.Requests, c.Resources.Limits) {
				have.Insert(string(n))
			}
			for n := range req.Difference(have) {
				if missing[n] == nil {
					missing[n] = sets.New[string]()
				}
				missing[n].Insert(c.Name)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, 0, len(missing))
	for n := range missing {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s for: %s", n, strings.Join(sets.List(missing[n]), ","))
	}
	return fmt.Errorf("must specify %s", strings.Join(parts, "; "))
}

func isBestEffort(pod *corev1.Pod) bool {
	has := func(l corev1.ResourceList) bool {
		_, c := l[corev1.ResourceCPU]
		_, m := l[corev1.ResourceMemory]
		return c || m
	}
	if pod.Spec.Resources != nil && (has(pod.Spec.Resources.Requests) || has(pod.Spec.Resources.Limits)) {
		return false
	}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			if has(c.Resources.Requests) || has(c.Resources.Limits) {
				return false
			}
		}
	}
	return true
}

func crossNamespaceAffinity(pod *corev1.Pod) bool {
	if pod.Spec.Affinity == nil {
		return false
	}
	cross := func(terms []corev1.PodAffinityTerm, weighted []corev1.WeightedPodAffinityTerm) bool {
		for _, t := range terms {
			if t.NamespaceSelector != nil || len(t.Namespaces) > 0 {
				return true
			}
		}
		for _, w := range weighted {
			if w.PodAffinityTerm.NamespaceSelector != nil || len(w.PodAffinityTerm.Namespaces) > 0 {
				return true
			}
		}
		return false
	}
	if a := pod.Spec.Affinity.PodAffinity; a != nil && cross(a.RequiredDuringSchedulingIgnoredDuringExecution, a.PreferredDuringSchedulingIgnoredDuringExecution) {
		return true
	}
	if a := pod.Spec.Affinity.PodAntiAffinity; a != nil && cross(a.RequiredDuringSchedulingIgnoredDuringExecution, a.PreferredDuringSchedulingIgnoredDuringExecution) {
		return true
	}
	return false
}

func podMatchesScope(sel corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return false, nil
	}
	switch sel.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return podTerminating(pod), nil
	case corev1.ResourceQuotaScopeNotTerminating:
		return !podTerminating(pod), nil
	case corev1.ResourceQuotaScopeBestEffort:
		return isBestEffort(pod), nil
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !isBestEffort(pod), nil
	case corev1.ResourceQuotaScopePriorityClass:
		return matchValue(sel, pod.Spec.PriorityClassName != "", pod.Spec.PriorityClassName)
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(pod), nil
	}
	return false, nil
}

// matchValue applies a scope selector's operator to a value that may be unset.
func matchValue(sel corev1.ScopedResourceSelectorRequirement, set bool, value string) (bool, error) {
	switch sel.Operator {
	case corev1.ScopeSelectorOpExists:
		return set, nil
	case corev1.ScopeSelectorOpDoesNotExist:
		return !set, nil
	case corev1.ScopeSelectorOpIn:
		return set && sets.New(sel.Values...).Has(value), nil
	case corev1.ScopeSelectorOpNotIn:
		return !set || !sets.New(sel.Values...).Has(value), nil
	}
	return false, fmt.Errorf("failed to parse and convert selector: %q is not a valid scope selector operator", sel.Operator)
}

func serviceEvaluator() *quotaEvaluator {
	gr := schema.GroupResource{Resource: "services"}
	return &quotaEvaluator{
		gr:      gr,
		names:   sets.New(countName(gr), "services", "services.nodeports", "services.loadbalancers"),
		handles: createOrUpdate,
		usage: func(obj runtime.Object) corev1.ResourceList {
			svc := obj.(*corev1.Service)
			out := corev1.ResourceList{corev1.ResourceName(countName(gr)): one(), "services": one(),
				"services.nodeports": *resource.NewQuantity(0, resource.DecimalSI), "services.loadbalancers": *resource.NewQuantity(0, resource.DecimalSI)}
			ports := int64(len(svc.Spec.Ports))
			switch svc.Spec.Type {
			case corev1.ServiceTypeNodePort:
				out["services.nodeports"] = *resource.NewQuantity(ports, resource.DecimalSI)
			case corev1.ServiceTypeLoadBalancer:
				if svc.Spec.AllocateLoadBalancerNodePorts != nil && !*svc.Spec.AllocateLoadBalancerNodePorts {
					ports = 0
					for _, p := range svc.Spec.Ports {
						if p.NodePort != 0 {
							ports++
						}
					}
				}
				out["services.nodeports"] = *resource.NewQuantity(ports, resource.DecimalSI)
				out["services.loadbalancers"] = one()
			}
			return out
		},
	}
}

const storageClassSuffix = ".storageclass.storage.k8s.io/"

func pvcEvaluator() *quotaEvaluator {
	gr := schema.GroupResource{Resource: "persistentvolumeclaims"}
	return &quotaEvaluator{
		gr:    gr,
		names: sets.New(countName(gr), "persistentvolumeclaims", "requests.storage"),
		matchName: func(n string) bool {
			return strings.HasSuffix(n, storageClassSuffix+"requests.storage") || strings.HasSuffix(n, storageClassSuffix+"persistentvolumeclaims")
		},
		handles: pvcChangesUsage,
		scope:   pvcMatchesScope,
		usage: func(obj runtime.Object) corev1.ResourceList {
			pvc := obj.(*corev1.PersistentVolumeClaim)
			out := corev1.ResourceList{corev1.ResourceName(countName(gr)): one(), "persistentvolumeclaims": one()}
			class := pvcClass(pvc)
			if class != "" {
				out[corev1.ResourceName(class+storageClassSuffix+"persistentvolumeclaims")] = one()
			}
			storage, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
			if alloc, found := pvc.Status.AllocatedResources[corev1.ResourceStorage]; found && alloc.Cmp(storage) > 0 {
				storage, ok = alloc, true
			}
			if ok {
				out["requests.storage"] = storage.DeepCopy()
				if class != "" {
					out[corev1.ResourceName(class+storageClassSuffix+"requests.storage")] = storage.DeepCopy()
				}
			}
			return out
		},
	}
}
