package admission

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["LimitRanger"] = func(d Deps, _ []byte) (any, error) { return limitRanger{d: d, live: &liveLimitRanges{}}, nil }
}

// limitRangerAnnotation records which defaults LimitRanger filled in.
const limitRangerAnnotation = "kubernetes.io/limit-ranger"

// limitRanger applies the namespace's LimitRanges: container defaults on new pods,
// then min, max and maxLimitRequestRatio per Container, Pod and
// PersistentVolumeClaim.
type limitRanger struct {
	d    Deps
	live *liveLimitRanges
}

// ranges returns the namespace's LimitRanges, or nil when a does not concern them.
func (p limitRanger) ranges(ctx context.Context, a *endpoints.Attributes) ([]corev1.LimitRange, error) {
	pod := a.Resource.Group == "" && a.Resource.Resource == "pods"
	pvc := a.Resource.Group == "" && a.Resource.Resource == "persistentvolumeclaims"
	switch {
	case a.Operation != "CREATE" && a.Operation != "UPDATE":
		return nil, nil
	case pod && a.Subresource == "resize" && a.Operation == "UPDATE":
	case a.Subresource != "":
		return nil, nil
	case pod && a.Operation == "UPDATE":
		return nil, nil
	case !pod && !pvc:
		return nil, nil
	}
	if old, ok := a.OldObject.(metav1.Object); ok && old.GetDeletionTimestamp() != nil {
		return nil, nil
	}
	r := p.d.Readers(limitRangesGVR)
	if r == nil {
		return nil, nil
	}
	obj, err := r.List(ctx, a.Namespace, &metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, forbidden(a, fmt.Errorf("unable to %s %v at this time because there was an error enforcing limit ranges", a.Operation, a.Resource))
	}
	list, _ := obj.(*corev1.LimitRangeList)
	if list != nil && len(list.Items) > 0 {
		return list.Items, nil
	}
	// The cache may lag a LimitRange created a moment ago: ask storage, and remember
	// the answer a while (as upstream) so namespaces without any stay cheap.
	return p.live.get(a.Namespace, func() ([]corev1.LimitRange, error) {
		obj, err := p.d.Readers(limitRangesGVR).List(ctx, a.Namespace, &metav1.ListOptions{})
		if err != nil {
			return nil, forbidden(a, err)
		}
		list, _ := obj.(*corev1.LimitRangeList)
		if list == nil {
			return nil, nil
		}
		return list.Items, nil
	})
}

// liveLimitRanges remembers live LimitRange lists per namespace for liveTTL.
type liveLimitRanges struct {
	mu      sync.Mutex
	entries map[string]liveEntry
}

type liveEntry struct {
	items   []corev1.LimitRange
	expires time.Time
}

// liveTTL is how long a live lookup is reused, as upstream.
const liveTTL = 30 * time.Second

func (l *liveLimitRanges) get(ns string, load func() ([]corev1.LimitRange, error)) ([]corev1.LimitRange, error) {
	l.mu.Lock()
	e, ok := l.entries[ns]
	l.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.items, nil
	}
	items, err := load()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil || len(l.entries) > 10000 {
		l.entries = map[string]liveEntry{}
	}
	l.entries[ns] = liveEntry{items: items, expires: time.Now().Add(liveTTL)}
	return items, nil
}

func (p limitRanger) Admit(ctx context.Context, a *endpoints.Attributes) error {
	items, err := p.ranges(ctx, a)
	if err != nil {
		return err
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	for i := range items {
		defaultPodResources(pod, &items[i])
	}
	return nil
}

func (p limitRanger) Validate(ctx context.Context, a *endpoints.Attributes) error {
	items, err := p.ranges(ctx, a)
	if err != nil {
		return err
	}
	for i := range items {
		var errs []error
		switch obj := a.Object.(type) {
		case *corev1.Pod:
			errs = validatePodLimits(&items[i], obj)
		case *corev1.PersistentVolumeClaim:
			errs = validatePVCLimits(&items[i], obj)
		}
		if err := utilerrors.NewAggregate(errs); err != nil {
			return forbidden(a, err)
		}
	}
	return nil
}

// defaultPodResources fills the Container defaults of lr into every container that
// lacks them and records what it set in the limit-ranger annotation.
func defaultPodResources(pod *corev1.Pod, lr *corev1.LimitRange) {
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	for _, l := range lr.Spec.Limits {
		if l.Type != corev1.LimitTypeContainer {
			continue
		}
		for k, v := range l.DefaultRequest {
			requests[k] = v.DeepCopy()
		}
		for k, v := range l.Default {
			limits[k] = v.DeepCopy()
		}
	}
	var notes []string
	merge := func(c *corev1.Container, kind string) {
		if c.Resources.Limits == nil {
			c.Resources.Limits = corev1.ResourceList{}
		}
		if c.Resources.Requests == nil {
			c.Resources.Requests = corev1.ResourceList{}
		}
		var setReq, setLim []string
		for k, v := range limits {
			if _, ok := c.Resources.Limits[k]; !ok {
				c.Resources.Limits[k] = v.DeepCopy()
				setLim = append(setLim, string(k))
			}
		}
		for k, v := range requests {
			if _, ok := c.Resources.Requests[k]; !ok {
				c.Resources.Requests[k] = v.DeepCopy()
				setReq = append(setReq, string(k))
			}
		}
		if len(setReq) > 0 {
			sort.Strings(setReq)
			notes = append(notes, strings.Join(setReq, ", ")+" request for "+kind+" "+c.Name)
		}
		if len(setLim) > 0 {
			sort.Strings(setLim)
			notes = append(notes, strings.Join(setLim, ", ")+" limit for "+kind+" "+c.Name)
		}
	}
	for i := range pod.Spec.Containers {
		merge(&pod.Spec.Containers[i], "container")
	}
	for i := range pod.Spec.InitContainers {
		merge(&pod.Spec.InitContainers[i], "init container")
	}
	if len(notes) > 0 {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[limitRangerAnnotation] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
	}
}

func validatePodLimits(lr *corev1.LimitRange, pod *corev1.Pod) []error {
	var errs []error
	check := func(kind string, l corev1.LimitRangeItem, req, lim corev1.ResourceList) {
		for k, v := range l.Min {
			errs = appendErr(errs, minConstraint(kind, string(k), v, req, lim))
		}
		for k, v := range l.Max {
			errs = appendErr(errs, maxConstraint(kind, string(k), v, req, lim))
		}
		for k, v := range l.MaxLimitRequestRatio {
			errs = appendErr(errs, ratioConstraint(kind, string(k), v, req, lim))
		}
	}
	for _, l := range lr.Spec.Limits {
		switch l.Type {
		case corev1.LimitTypeContainer:
			for _, c := range pod.Spec.Containers {
				check(string(l.Type), l, c.Resources.Requests, c.Resources.Limits)
			}
			for _, c := range pod.Spec.InitContainers {
				check(string(l.Type), l, c.Resources.Requests, c.Resources.Limits)
			}
		case corev1.LimitTypePod:
			check(string(l.Type), l, podTotals(pod, false, false), podTotals(pod, true, false))
		}
	}
	return errs
}

func validatePVCLimits(lr *corev1.LimitRange, pvc *corev1.PersistentVolumeClaim) []error {
	var errs []error
	for _, l := range lr.Spec.Limits {
		if l.Type != corev1.LimitTypePersistentVolumeClaim {
			continue
		}
		for k, v := range l.Min {
			errs = appendErr(errs, minConstraint(string(l.Type), string(k), v, pvc.Spec.Resources.Requests, corev1.ResourceList{}))
		}
		for k, v := range l.Max {
			errs = appendErr(errs, maxRequestConstraint(string(l.Type), string(k), v, pvc.Spec.Resources.Requests))
		}
	}
	return errs
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// scaled compares quantities in milli-units when they all fit, in units otherwise.
func scaled(req, lim, enforced resource.Quantity) (int64, int64, int64) {
	r, l, e := req.Value(), lim.Value(), enforced.Value()
	if r <= resource.MaxMilliValue && l <= resource.MaxMilliValue && e <= resource.MaxMilliValue {
		return req.MilliValue(), lim.MilliValue(), enforced.MilliValue()
	}
	return r, l, e
}

func minConstraint(kind, name string, enforced resource.Quantity, request, limit corev1.ResourceList) error {
	req, hasReq := request[corev1.ResourceName(name)]
	lim, hasLim := limit[corev1.ResourceName(name)]
	r, l, e := scaled(req, lim, enforced)
	switch {
	case !hasReq:
		return fmt.Errorf("minimum %s usage per %s is %s.  No request is specified", name, kind, enforced.String())
	case r < e:
		return fmt.Errorf("minimum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String())
	case hasLim && l < e:
		return fmt.Errorf("minimum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String())
	}
	return nil
}

func maxRequestConstraint(kind, name string, enforced resource.Quantity, request corev1.ResourceList) error {
	req, hasReq := request[corev1.ResourceName(name)]
	r, _, e := scaled(req, resource.Quantity{}, enforced)
	switch {
	case !hasReq:
		return fmt.Errorf("maximum %s usage per %s is %s.  No request is specified", name, kind, enforced.String())
	case r > e:
		return fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String())
	}
	return nil
}

func maxConstraint(kind, name string, enforced resource.Quantity, request, limit corev1.ResourceList) error {
	req, hasReq := request[corev1.ResourceName(name)]
	lim, hasLim := limit[corev1.ResourceName(name)]
	r, l, e := scaled(req, lim, enforced)
	switch {
	case !hasLim:
		return fmt.Errorf("maximum %s usage per %s is %s.  No limit is specified", name, kind, enforced.String())
	case l > e:
		return fmt.Errorf("maximum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String())
	case hasReq && r > e:
		return fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String())
	}
	return nil
}

func ratioConstraint(kind, name string, enforced resource.Quantity, request, limit corev1.ResourceList) error {
	req, hasReq := request[corev1.ResourceName(name)]
	lim, hasLim := limit[corev1.ResourceName(name)]
	r, l, _ := scaled(req, lim, enforced)
	if !hasReq || r == 0 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, kind, enforced.String())
	}
	if !hasLim || l == 0 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, kind, enforced.String())
	}
	ratio := float64(l) / float64(r)
	shown := ratio
	maxRatio := float64(enforced.Value())
	if enforced.Value() <= resource.MaxMilliValue {
		ratio *= 1000
		maxRatio = float64(enforced.MilliValue())
	}
	if ratio > maxRatio {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, kind, enforced.String(), shown)
	}
	return nil
}
