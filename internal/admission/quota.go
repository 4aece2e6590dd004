package admission

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["ResourceQuota"] = func(d Deps, raw []byte) (any, error) {
		cfg, err := parseQuotaConfig(raw)
		if err != nil {
			return nil, err
		}
		return &resourceQuota{d: d, limited: cfg.LimitedResources}, nil
	}
}

// resourceQuota charges every create (and growing update) against the namespace's
// ResourceQuotas. Charges are compare-and-swap updates of the quota's status.used,
// re-checked against the stored quota on every retry, so concurrent requests never
// push usage beyond hard. A quota whose status does not cover its spec yet (no
// quota controller ran) is first brought up to date from the stored objects.
type resourceQuota struct {
	d       Deps
	limited []limitedResource
	// charged is when each namespace was last charged: the reconciler leaves a
	// namespace alone while charged objects may still be on their way to storage.
	charged sync.Map // namespace -> time.Time
	// recountOff is set once the resource-quota controller keeps status.used
	// current; the plugin's own recount then stands aside.
	recountOff atomic.Bool
	// live remembers namespaces a consistent read found without quotas.
	live quotaLive
}

func (p *resourceQuota) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Resource.GroupResource() == resourceQuotasGVR.GroupResource() && a.Operation != "DELETE" {
		p.live.written(a.Namespace)
	}
	if a.Namespace == "" || a.Object == nil || (a.Resource.Group == "" && a.Resource.Resource == "namespaces") {
		return nil
	}
	gr := a.Resource.GroupResource()
	if quotaIgnored[gr] {
		return nil
	}
	ev := evaluatorFor(gr)
	if !ev.handles(a) || !objectFits(ev, a.Object) {
		return nil
	}
	if p.d.QuotaWriter == nil {
		return nil
	}
	quotas, err := p.quotas(ctx, a.Namespace)
	if err != nil {
		// As upstream, a failed lookup's own Status (a 504 while etcd is down) passes.
		if _, ok := err.(apierrors.APIStatus); ok {
			return err
		}
		return apierrors.NewInternalError(err)
	}
	for i := range quotas {
		if !synced(&quotas[i]) {
			if quotas[i], err = p.sync(ctx, &quotas[i]); err != nil {
				return apierrors.NewInternalError(fmt.Errorf("failed to compute usage of quota %s: %w", quotas[i].Name, err))
			}
		}
	}
	deltas, err := p.check(a, ev, quotas)
	if err != nil || a.DryRun {
		return err
	}
	return p.charge(ctx, a, ev, deltas)
}

// objectFits guards the typed evaluators against an unexpected object type.
func objectFits(ev *quotaEvaluator, obj runtime.Object) bool {
	switch ev.gr.Resource {
	case "pods":
		_, ok := obj.(*corev1.Pod)
		return ok || ev.gr.Group != ""
	case "services":
		_, ok := obj.(*corev1.Service)
		return ok || ev.gr.Group != ""
	case "persistentvolumeclaims":
		_, ok := obj.(*corev1.PersistentVolumeClaim)
		return ok || ev.gr.Group != ""
	}
	return true
}

// quotas reads the namespace's quotas from the cache, from storage when the cache
// has none (one created a moment ago must count) unless storage recently had none.
func (p *resourceQuota) quotas(ctx context.Context, ns string) ([]corev1.ResourceQuota, error) {
	r := p.d.Readers(resourceQuotasGVR)
	if r == nil {
		return nil, nil
	}
	obj, err := r.List(ctx, ns, &metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	list, _ := obj.(*corev1.ResourceQuotaList)
	if list != nil && len(list.Items) > 0 {
		return list.Items, nil
	}
	if p.live.hasNone(ns, time.Now()) {
		return nil, nil
	}
	gen := p.live.begin(ns)
	if obj, err = r.List(ctx, ns, &metav1.ListOptions{}); err != nil {
		return nil, err
	}
	if list, _ = obj.(*corev1.ResourceQuotaList); list == nil || len(list.Items) == 0 {
		p.live.foundNone(ns, gen, time.Now())
		return nil, nil
	}
	return list.Items, nil
}

// synced reports whether the quota's status accounts for everything its spec limits.
func synced(q *corev1.ResourceQuota) bool {
	if !equality.Semantic.DeepEqual(q.Spec.Hard, q.Status.Hard) {
		return false
	}
	for name := range q.Spec.Hard {
		if _, ok := q.Status.Used[name]; !ok {
			return false
		}
	}
	return true
}

// selectors are a quota's scopes and scope selector as one list of requirements.
func selectors(q *corev1.ResourceQuota) []corev1.ScopedResourceSelectorRequirement {
	var out []corev1.ScopedResourceSelectorRequirement
	for _, s := range q.Spec.Scopes {
		out = append(out, corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists})
	}
	if q.Spec.ScopeSelector != nil {
		out = append(out, q.Spec.ScopeSelector.MatchExpressions...)
	}
	return out
}

// matches reports whether q applies to obj: it tracks something ev accounts for and
// every scope matches.
func matches(ev *quotaEvaluator, q *corev1.ResourceQuota, obj runtime.Object) (bool, error) {
	if len(ev.matching(resourceNames(q.Status.Hard))) == 0 {
		return false, nil
	}
	for _, sel := range selectors(q) {
		if ev.scope == nil {
			return false, nil
		}
		ok, err := ev.scope(sel, obj)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func resourceNames(l corev1.ResourceList) []string {
	out := make([]string, 0, len(l))
	for n := range l {
		out = append(out, string(n))
	}
	sort.Strings(out)
	return out
}

// check computes what a costs per matching quota and refuses it when a quota lacks
// room, a container lacks a request the quota needs, or limited resources have no
// covering quota. It returns the charge per quota name.
func (p *resourceQuota) check(a *endpoints.Attributes, ev *quotaEvaluator, quotas []corev1.ResourceQuota) (map[string]corev1.ResourceList, error) {
	usage := ev.usage(a.Object)
	var negative []string
	for n, q := range usage {
		if q.Sign() < 0 {
			negative = append(negative, string(n))
		}
	}
	if len(negative) > 0 {
		sort.Strings(negative)
		return nil, forbidden(a, fmt.Errorf("quota usage is negative for resource(s): %s", strings.Join(negative, ",")))
	}
	var prev corev1.ResourceList
	if a.Operation == "UPDATE" && a.OldObject != nil {
		if acc, err := meta.Accessor(a.OldObject); err == nil && acc.GetResourceVersion() != "" {
			prev = ev.usage(a.OldObject)
		}
	}

	limitedNames, limitedScopes := p.limitedFor(a, ev, usage)
	covered := sets.New[string]()
	var matchedScopes []corev1.ScopedResourceSelectorRequirement
	deltas := map[string]corev1.ResourceList{}
	for i := range quotas {
		q := &quotas[i]
		if ev.scope != nil {
			for _, sel := range selectors(q) {
				if ok, _ := ev.scope(sel, a.Object); ok {
					matchedScopes = append(matchedScopes, sel)
				}
			}
		}
		ok, err := matches(ev, q, a.Object)
		if err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("error matching scopes of quota %s, err: %v", q.Name, err))
		}
		if !ok {
			continue
		}
		restricted := ev.matching(resourceNames(q.Status.Hard))
		if ev.constraints != nil {
			if err := ev.constraints(restricted, a.Object); err != nil {
				return nil, forbidden(a, fmt.Errorf("failed quota: %s: %v", q.Name, err))
			}
		}
		covered.Insert(restricted...)
		delta := usage
		if prev != nil {
			if oldMatch, _ := matches(ev, q, a.OldObject); oldMatch {
				delta = subtractNonNegative(usage, prev)
			}
		}
		delta = removeZeros(mask(delta, restricted))
		if len(delta) > 0 {
			deltas[q.Name] = delta
		}
	}
	if missing := sets.List(limitedNames.Difference(covered)); len(missing) > 0 {
		return nil, forbidden(a, fmt.Errorf("insufficient quota to consume: %v", strings.Join(missing, ",")))
	}
	if uncovered := uncoveredScopes(limitedScopes, matchedScopes); len(uncovered) > 0 {
		return nil, apierrors.NewInternalError(fmt.Errorf("insufficient quota to match these scopes: %v", uncovered))
	}
	for i := range quotas {
		if d, ok := deltas[quotas[i].Name]; ok {
			if err := exceeds(a, &quotas[i], d); err != nil {
				return nil, err
			}
		}
	}
	return deltas, nil
}

// limitedFor returns the limited resource names and scopes of the admission
// configuration that apply to this request.
func (p *resourceQuota) limitedFor(a *endpoints.Attributes, ev *quotaEvaluator, usage corev1.ResourceList) (sets.Set[string], []corev1.ScopedResourceSelectorRequirement) {
	names := sets.New[string]()
	var scopes []corev1.ScopedResourceSelectorRequirement
	for _, l := range p.limited {
		if l.APIGroup != a.Resource.Group || l.Resource != a.Resource.Resource {
			continue
		}
		for n := range usage {
			for _, c := range l.MatchContains {
				if strings.Contains(string(n), c) {
					names.Insert(string(n))
				}
			}
		}
		for _, sel := range l.MatchScopes {
			if ev.scope == nil {
				continue
			}
			if ok, _ := ev.scope(sel, a.Object); ok {
				scopes = append(scopes, sel)
			}
		}
	}
	return names, scopes
}

// uncoveredScopes lists limited scopes no matching quota selects.
func uncoveredScopes(limited, matched []corev1.ScopedResourceSelectorRequirement) []string {
	var out []string
	for _, l := range limited {
		found := false
		for _, m := range matched {
			if m.ScopeName == l.ScopeName && m.Operator == l.Operator && sets.New(m.Values...).IsSuperset(sets.New(l.Values...)) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, fmt.Sprintf("{%s %s %v}", l.ScopeName, l.Operator, l.Values))
		}
	}
	return out
}

// exceeds refuses delta when it would push q's usage past hard, with upstream's
// message.
func exceeds(a *endpoints.Attributes, q *corev1.ResourceQuota, delta corev1.ResourceList) error {
	for name := range q.Spec.Hard {
		if _, ok := q.Status.Used[name]; !ok && len(mask(delta, []string{string(name)})) > 0 {
			return forbidden(a, fmt.Errorf("status unknown for quota: %s, resources: %s", q.Name, name))
		}
	}
	var over []string
	for name, d := range delta {
		hard, ok := q.Status.Hard[name]
		if !ok {
			continue
		}
		used := q.Status.Used[name]
		sum := used.DeepCopy()
		sum.Add(d)
		if sum.Cmp(hard) > 0 {
			over = append(over, string(name))
		}
	}
	if len(over) == 0 {
		return nil
	}
	return forbidden(a, fmt.Errorf("exceeded quota: %s, requested: %s, used: %s, limited: %s", q.Name,
		prettyPrint(mask(delta, over)), prettyPrint(mask(q.Status.Used, over)), prettyPrint(mask(q.Status.Hard, over))))
}

// charge adds each delta to its quota's status.used under compare-and-swap. A
// refusal on a later quota returns the earlier charges.
func (p *resourceQuota) charge(ctx context.Context, a *endpoints.Attributes, ev *quotaEvaluator, deltas map[string]corev1.ResourceList) error {
	p.charged.Store(a.Namespace, time.Now())
	names := make([]string, 0, len(deltas))
	for n := range deltas {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, name := range names {
		delta := deltas[name]
		err := p.updateStatus(ctx, a.Namespace, name, func(q *corev1.ResourceQuota) error {
			if !synced(q) {
				// The spec changed under us: recount before charging.
				fresh, err := p.usage(ctx, q)
				if err != nil {
					return err
				}
				q.Status.Hard, q.Status.Used = q.Spec.Hard.DeepCopy(), fresh
			}
			d := removeZeros(mask(delta, ev.matching(resourceNames(q.Status.Hard))))
			if err := exceeds(a, q, d); err != nil {
				return err
			}
			q.Status.Used = addLists(q.Status.Used, d)
			return nil
		})
		if apierrors.IsNotFound(err) {
			continue // the quota went away: nothing to charge
		}
		if err != nil {
			for _, done := range names[:i] {
				p.refund(ctx, a.Namespace, done, deltas[done])
			}
			return err
		}
	}
	return nil
}

// refund takes back a charge of a request that was refused after it.
func (p *resourceQuota) refund(ctx context.Context, ns, name string, delta corev1.ResourceList) {
	_ = p.updateStatus(ctx, ns, name, func(q *corev1.ResourceQuota) error {
		for n, d := range delta {
			if used, ok := q.Status.Used[n]; ok {
				used.Sub(d)
				if used.Sign() < 0 {
					used = *resource.NewQuantity(0, d.Format)
				}
				q.Status.Used[n] = used
			}
		}
		return nil
	})
}

// sync brings q's status up to date with its spec, counting the stored objects.
func (p *resourceQuota) sync(ctx context.Context, q *corev1.ResourceQuota) (corev1.ResourceQuota, error) {
	var out corev1.ResourceQuota
	err := p.updateStatus(ctx, q.Namespace, q.Name, func(cur *corev1.ResourceQuota) error {
		if synced(cur) {
			out = *cur
			return nil // unchanged: storage writes nothing
		}
		used, err := p.usage(ctx, cur)
		if err != nil {
			return err
		}
		cur.Status.Hard, cur.Status.Used = cur.Spec.Hard.DeepCopy(), used
		out = *cur
		return nil
	})
	return out, err
}

// usage counts what the namespace's stored objects use of q's hard resources; a
// name no stored resource backs counts zero.
func (p *resourceQuota) usage(ctx context.Context, q *corev1.ResourceQuota) (corev1.ResourceList, error) {
	used, err := QuotaUsage(q, func(gr schema.GroupResource) ([]runtime.Object, bool, error) {
		var r Reader
		if p.d.ResourceReaders != nil {
			r = p.d.ResourceReaders(gr)
		}
		if r == nil {
			return nil, false, nil
		}
		obj, err := r.List(ctx, q.Namespace, &metav1.ListOptions{})
		if err != nil {
			return nil, false, err
		}
		items, err := meta.ExtractList(obj)
		return items, err == nil, err
	})
	if err != nil {
		return nil, err
	}
	for name := range q.Spec.Hard {
		if _, ok := used[name]; !ok {
			used[name] = *resource.NewQuantity(0, resource.DecimalSI)
		}
	}
	return used, nil
}

// quotaResources are the resources whose objects the hard names count.
func quotaResources(hard []string) []schema.GroupResource {
	seen := map[schema.GroupResource]bool{}
	var out []schema.GroupResource
	add := func(gr schema.GroupResource) {
		if !seen[gr] {
			seen[gr] = true
			out = append(out, gr)
		}
	}
	for _, gr := range []schema.GroupResource{{Resource: "pods"}, {Resource: "services"}, {Resource: "persistentvolumeclaims"}} {
		if len(evaluatorFor(gr).matching(hard)) > 0 {
			add(gr)
		}
	}
	for _, n := range hard {
		for gr, alias := range legacyCountNames {
			if n == alias {
				add(gr)
			}
		}
		if rest, ok := strings.CutPrefix(n, "count/"); ok {
			res, group, _ := strings.Cut(rest, ".")
			add(schema.GroupResource{Group: group, Resource: res})
		}
	}
	return out
}

// updateStatus applies change to the stored quota's status under compare-and-swap.
func (p *resourceQuota) updateStatus(ctx context.Context, ns, name string, change func(*corev1.ResourceQuota) error) error {
	_, _, err := p.d.QuotaWriter.Update(ctx, ns, name, "status", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		q, ok := current.(*corev1.ResourceQuota)
		if !ok {
			return nil, apierrors.NewNotFound(corev1.Resource("resourcequotas"), name)
		}
		if err := change(q); err != nil {
			return nil, err
		}
		return q, nil
	}, nil, nil, false, false)
	return err
}

func mask(l corev1.ResourceList, names []string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, n := range names {
		if q, ok := l[corev1.ResourceName(n)]; ok {
			out[corev1.ResourceName(n)] = q.DeepCopy()
		}
	}
	return out
}

func removeZeros(l corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for n, q := range l {
		if !q.IsZero() {
			out[n] = q
		}
	}
	return out
}

func addLists(a, b corev1.ResourceList) corev1.ResourceList {
	out := a.DeepCopy()
	if out == nil {
		out = corev1.ResourceList{}
	}
	addResources(out, b)
	return out
}

func subtractNonNegative(a, b corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for n, q := range a {
		d := q.DeepCopy()
		if o, ok := b[n]; ok {
			d.Sub(o)
		}
		if d.Sign() < 0 {
			d = *resource.NewQuantity(0, q.Format)
		}
		out[n] = d
	}
	return out
}

func prettyPrint(l corev1.ResourceList) string {
	names := resourceNames(l)
	parts := make([]string, len(names))
	for i, n := range names {
		q := l[corev1.ResourceName(n)]
		parts[i] = n + "=" + q.String()
	}
	return strings.Join(parts, ",")
}
