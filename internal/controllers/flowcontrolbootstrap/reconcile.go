package flowcontrolbootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/parallel"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// FieldManager owns the bootstrap objects' specs, as upstream's configuration
// producer.
const FieldManager = "api-priority-and-fairness-config-producer-v1"

// StoreFor returns the store serving a resource, or nil when it is not served.
type StoreFor func(gvr schema.GroupVersionResource) *registry.Store

var (
	flowSchemasGVR    = flowcontrolv1.SchemeGroupVersion.WithResource("flowschemas")
	priorityLevelsGVR = flowcontrolv1.SchemeGroupVersion.WithResource("prioritylevelconfigurations")
)

// apiserverUser is the loopback identity the writes are made as.
var apiserverUser = &request.User{Name: "system:apiserver", Groups: []string{"system:masters", "system:authenticated"}}

// Reconcile brings the bootstrap configuration into storage, retrying a failed pass
// every second for 30 seconds; the server must not report ready before it returns.
func Reconcile(ctx context.Context, stores StoreFor) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := reconcileOnce(ctx, stores)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("unable to ensure the API Priority and Fairness configuration: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Run reconciles every five minutes until ctx ends, as upstream keeps the
// configuration up to date after start.
func Run(ctx context.Context, stores StoreFor) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := reconcileOnce(ctx, stores); err != nil {
				slog.Warn("flowcontrol bootstrap: reconcile failed", "err", err)
			}
		}
	}
}

func reconcileOnce(ctx context.Context, stores StoreFor) error {
	ctx = request.WithUser(ctx, apiserverUser)
	pls, fss := stores(priorityLevelsGVR), stores(flowSchemasGVR)
	if pls == nil || fss == nil {
		return nil
	}
	mandatory, suggested := Mandatory(), Suggested()
	// Priority levels first, so that the schemas never dangle; the objects of each
	// kind are written together (parallel.Run).
	var levels, schemas []func() error
	for _, pl := range mandatory.PriorityLevels {
		levels = append(levels, func() error { return ensure(ctx, pls, pl, true) })
	}
	for _, pl := range suggested.PriorityLevels {
		levels = append(levels, func() error { return ensure(ctx, pls, pl, false) })
	}
	for _, fs := range mandatory.FlowSchemas {
		schemas = append(schemas, func() error { return ensure(ctx, fss, fs, true) })
	}
	for _, fs := range suggested.FlowSchemas {
		schemas = append(schemas, func() error { return ensure(ctx, fss, fs, false) })
	}
	levelsErr := parallel.Run(reconcileWorkers, levels...)
	schemasErr := parallel.Run(reconcileWorkers, schemas...)
	return errors.Join(levelsErr, schemasErr,
		removeUnwanted(ctx, fss, names(mandatory.FlowSchemas, suggested.FlowSchemas)),
		removeUnwanted(ctx, pls, names(mandatory.PriorityLevels, suggested.PriorityLevels)))
}

// reconcileWorkers is how many objects of a kind are written at once.
const reconcileWorkers = 16

func names[T metav1.Object](lists ...[]T) map[string]bool {
	out := map[string]bool{}
	for _, l := range lists {
		for _, o := range l {
			out[o.GetName()] = true
		}
	}
	return out
}

// ensure creates want when missing and otherwise revises the stored object's spec
// and auto-update annotation by upstream's rules. A conflict is left for the next
// pass, as upstream does.
func ensure(ctx context.Context, st *registry.Store, want runtime.Object, mandatory bool) error {
	name := want.(metav1.Object).GetName()
	for attempt := 0; attempt < 4; attempt++ {
		cur, err := st.Get(ctx, "", name, &metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = st.Create(ctx, "", want.DeepCopyObject(), st.ManagedBy(FieldManager, ""), nil, false)
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		revised, ok := revise(cur, want, mandatory)
		if !ok {
			return nil
		}
		_, _, err = st.Update(ctx, "", name, "", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				return nil, apierrors.NewNotFound(st.Resource().GroupVersionResource().GroupResource(), name)
			}
			if current.(metav1.Object).GetResourceVersion() != revised.(metav1.Object).GetResourceVersion() {
				return nil, apierrors.NewConflict(st.Resource().GroupVersionResource().GroupResource(), name, errors.New("changed concurrently"))
			}
			return revised, nil
		}, st.ManagedBy(FieldManager, ""), nil, false, false)
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	return fmt.Errorf("%s %s: exceeded maximum attempts", st.Resource().Name, name)
}

// revise returns the stored object with its spec and annotation as they should be,
// and whether that differs from cur.
func revise(cur, want runtime.Object, mandatory bool) (runtime.Object, bool) {
	curMeta := cur.(metav1.Object)
	autoUpdate := mandatory || shouldAutoUpdate(curMeta)
	v, err := strconv.ParseBool(curMeta.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey])
	fixAnnotation := err != nil || v != autoUpdate
	fixSpec := autoUpdate && !specEqual(want, cur)
	if !fixAnnotation && !fixSpec {
		return nil, false
	}
	out := cur.DeepCopyObject()
	if fixSpec {
		replaceSpec(out, want)
	}
	if fixAnnotation {
		m := out.(metav1.Object)
		a := m.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a[flowcontrolv1.AutoUpdateAnnotationKey] = strconv.FormatBool(autoUpdate)
		m.SetAnnotations(a)
	}
	return out, true
}

// shouldAutoUpdate reads the annotation; an object without a valid one is kept up to
// date only while nobody changed its spec (generation 1).
func shouldAutoUpdate(m metav1.Object) bool {
	if v, err := strconv.ParseBool(m.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey]); err == nil {
		return v
	}
	return m.GetGeneration() == 1
}

func specEqual(want, cur runtime.Object) bool {
	switch w := want.(type) {
	case *flowcontrolv1.FlowSchema:
		c, ok := cur.(*flowcontrolv1.FlowSchema)
		return ok && apiequality.Semantic.DeepEqual(w.Spec, c.Spec)
	case *flowcontrolv1.PriorityLevelConfiguration:
		c, ok := cur.(*flowcontrolv1.PriorityLevelConfiguration)
		if !ok {
			return false
		}
		spec := *w.Spec.DeepCopy()
		// The exempt level's shares and lendable percent belong to the cluster admin.
		if w.Name == flowcontrolv1.PriorityLevelConfigurationNameExempt {
			if c.Spec.Exempt == nil || spec.Exempt == nil {
				return false
			}
			spec.Exempt.NominalConcurrencyShares = c.Spec.Exempt.NominalConcurrencyShares
			spec.Exempt.LendablePercent = c.Spec.Exempt.LendablePercent
		}
		return apiequality.Semantic.DeepEqual(spec, c.Spec)
	}
	return false
}

func replaceSpec(into, from runtime.Object) {
	switch f := from.(type) {
	case *flowcontrolv1.FlowSchema:
		into.(*flowcontrolv1.FlowSchema).Spec = *f.Spec.DeepCopy()
	case *flowcontrolv1.PriorityLevelConfiguration:
		into.(*flowcontrolv1.PriorityLevelConfiguration).Spec = *f.Spec.DeepCopy()
	}
}

// removeUnwanted deletes objects annotated for auto-update that the bootstrap
// configuration no longer holds.
func removeUnwanted(ctx context.Context, st *registry.Store, wanted map[string]bool) error {
	list, err := st.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	var errs []error
	for _, item := range items {
		m := item.(metav1.Object)
		if wanted[m.GetName()] || m.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey] != "true" {
			continue
		}
		uid := m.GetUID()
		_, _, err := st.Delete(ctx, "", m.GetName(), &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}, nil, false)
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
