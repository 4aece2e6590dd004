package main

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// fullCRDs is the full-scale number of CustomResourceDefinitions registered.
const fullCRDs = 100

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// registerCRDs creates CRDs from --clients parallel clients and reports the time
// from the first create until the last one is Established, and the server's RSS
// growth per CRD (RSS after the settle time minus RSS before, divided by the count).
func (l *load) registerCRDs(ctx context.Context) error {
	dyn, err := newDynamic(l.base, time.Minute)
	if err != nil {
		return err
	}
	watcher, err := newDynamic(l.base, 0)
	if err != nil {
		return err
	}
	n := l.count(fullCRDs)
	var before memory
	if l.pid != 0 {
		if before, err = l.memoryAfterSettle(ctx); err != nil {
			return err
		}
	}
	selector := runLabel + "=" + l.runID
	list, err := dyn.Resource(crdResource).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("listing CRDs: %w", err)
	}
	watchCtx, stopWatch := context.WithTimeout(ctx, 5*time.Minute)
	defer stopWatch()
	w, err := watcher.Resource(crdResource).Watch(watchCtx, metav1.ListOptions{LabelSelector: selector, ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		return fmt.Errorf("watching CRDs: %w", err)
	}
	defer w.Stop()

	objs := make([]*unstructured.Unstructured, n)
	for i := range objs {
		if objs[i], err = l.crd(i); err != nil {
			return err
		}
		l.crdNames = append(l.crdNames, objs[i].GetName())
	}
	fmt.Fprintf(l.log, "# registering %d CRDs\n", n)
	start := time.Now()
	if _, err := runParallel(ctx, n, l.opts.clients, func(ctx context.Context, _, i int) error {
		_, err := dyn.Resource(crdResource).Create(ctx, objs[i], metav1.CreateOptions{})
		return err
	}); err != nil {
		return fmt.Errorf("creating CRDs: %w", err)
	}
	lastEstablished, err := waitEstablished(watchCtx, w, l.crdNames)
	if err != nil {
		return err
	}
	l.out.figure("crds_established_seconds", lastEstablished.Sub(start).Seconds(), "s")
	if l.pid != 0 {
		after, err := l.memoryAfterSettle(ctx)
		if err != nil {
			return err
		}
		l.out.figure("rss_growth_per_crd_kib", float64(after.rss-before.rss)/float64(n)/1024, "KiB")
		l.out.figure("rss_anon_growth_per_crd_kib", float64(after.anon-before.anon)/float64(n)/1024, "KiB")
	}
	return nil
}

// waitEstablished reads CRD events until every name has condition Established=True
// and returns when the last one was seen so.
func waitEstablished(ctx context.Context, w watch.Interface, names []string) (time.Time, error) {
	pending := map[string]bool{}
	for _, n := range names {
		pending[n] = true
	}
	for {
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%d of %d CRDs not Established: %w", len(pending), len(names), context.Cause(ctx))
		case ev, ok := <-w.ResultChan():
			if !ok {
				return time.Time{}, fmt.Errorf("the CRD watch ended with %d of %d not Established", len(pending), len(names))
			}
			now := time.Now()
			if ev.Type == watch.Error {
				return time.Time{}, fmt.Errorf("the CRD watch failed: %v", ev.Object)
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || !pending[u.GetName()] || !established(u) {
				continue
			}
			delete(pending, u.GetName())
			if len(pending) == 0 {
				return now, nil
			}
		}
	}
}

// established reads the Established condition of an unstructured CRD.
func established(u *unstructured.Unstructured) bool {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &crd); err != nil {
		return false
	}
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// crd is the i-th CRD of the run: a namespaced kind in a group of its own run, with
// an open schema.
func (l *load) crd(i int) (*unstructured.Unstructured, error) {
	plural := fmt.Sprintf("loadtests%03d", i)
	group := "r" + l.runID + ".kapi-load.example.com"
	crd := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   plural + "." + group,
			Labels: map[string]string{runLabel: l.runID},
		},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural:   plural,
				Singular: fmt.Sprintf("loadtest%03d", i),
				Kind:     fmt.Sprintf("LoadTest%03d", i),
				ListKind: fmt.Sprintf("LoadTest%03dList", i),
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", XPreserveUnknownFields: ptrTrue()},
					},
				}},
			}},
		},
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: obj}, nil
}

func ptrTrue() *bool { t := true; return &t }
