package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// TestResourceQuotaController runs kapi with the resource-quota controller and no
// other controller, and watches a quota's status.used follow creations and
// deletions of pods, configmaps, secrets and a custom resource within seconds.
func TestResourceQuotaController(t *testing.T) {
	s := startKapiWithArgs(t, filepath.Join(t.TempDir(), "data"), "--controllers=resourcequota")
	cs := s.clientset(t)
	dyn := dynamic.NewForConfigOrDie(s.restConfig(t))
	c := ctx(t, 2*time.Minute)

	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.example.com"},
		"spec": map[string]any{
			"group": "example.com", "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := dyn.Resource(crds).Create(c, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	widgets := schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
	eventually(t, 30*time.Second, "widgets served", func() error {
		_, err := dyn.Resource(widgets).Namespace("default").List(c, metav1.ListOptions{})
		return err
	})

	const ns = "quota-e2e"
	createNamespace(t, c, cs, ns)
	// Only the quota controller runs: nothing creates the default ServiceAccount.
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(c, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	quotas := cs.CoreV1().ResourceQuotas(ns)
	if _, err := quotas.Create(c, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q"}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
		"pods": resource.MustParse("5"), "configmaps": resource.MustParse("5"), "count/secrets": resource.MustParse("5"),
		"requests.cpu": resource.MustParse("2"), "count/widgets.example.com": resource.MustParse("5"),
	}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// used waits (a few seconds at most) until status shows want.
	used := func(want map[string]string) {
		t.Helper()
		eventually(t, 5*time.Second, fmt.Sprintf("status.used %v", want), func() error {
			q, err := quotas.Get(c, "q", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if len(q.Status.Hard) != len(q.Spec.Hard) {
				return fmt.Errorf("status.hard = %v", q.Status.Hard)
			}
			for name, w := range want {
				if got := q.Status.Used[corev1.ResourceName(name)]; got.Cmp(resource.MustParse(w)) != 0 {
					return fmt.Errorf("%s used = %s, want %s (status %v)", name, got.String(), w, q.Status.Used)
				}
			}
			return nil
		})
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	used(map[string]string{"pods": "0", "configmaps": "0", "count/secrets": "0", "requests.cpu": "0", "count/widgets.example.com": "0"})

	for i, cpu := range []string{"500m", "250m"} {
		p := busybox(fmt.Sprint("p", i))
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{"cpu": resource.MustParse(cpu)}
		_, err := cs.CoreV1().Pods(ns).Create(c, p, metav1.CreateOptions{})
		must(err)
		_, err = cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("cm", i)}}, metav1.CreateOptions{})
		must(err)
		_, err = cs.CoreV1().Secrets(ns).Create(c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("s", i)}}, metav1.CreateOptions{})
		must(err)
		w := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": fmt.Sprint("w", i)}}}
		_, err = dyn.Resource(widgets).Namespace(ns).Create(c, w, metav1.CreateOptions{})
		must(err)
	}
	used(map[string]string{"pods": "2", "configmaps": "2", "count/secrets": "2", "requests.cpu": "750m", "count/widgets.example.com": "2"})

	zero := int64(0)
	must(cs.CoreV1().Pods(ns).Delete(c, "p0", metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	must(cs.CoreV1().ConfigMaps(ns).Delete(c, "cm0", metav1.DeleteOptions{}))
	must(cs.CoreV1().Secrets(ns).Delete(c, "s0", metav1.DeleteOptions{}))
	must(dyn.Resource(widgets).Namespace(ns).Delete(c, "w0", metav1.DeleteOptions{}))
	used(map[string]string{"pods": "1", "configmaps": "1", "count/secrets": "1", "requests.cpu": "250m", "count/widgets.example.com": "1"})
}
