package resourcequota_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// onlyQuota runs the resource-quota controller and nothing else, so admission's
// own recount is off and every give-back is the controller's.
func onlyQuota(c *server.Config) { c.Controllers = []string{"resourcequota"} }

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// createGadgetCRD registers gadgets.example.com and waits until it is served.
func createGadgetCRD(t *testing.T, dyn dynamic.Interface) schema.GroupVersionResource {
	t.Helper()
	ctx := context.Background()
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets.example.com"},
		"spec": map[string]any{
			"group": "example.com", "scope": "Namespaced",
			"names": map[string]any{"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "gadgets"}
	if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(gvr).Namespace("default").List(ctx, metav1.ListOptions{})
		return err == nil, nil
	}); err != nil {
		t.Fatalf("gadgets never served: %v", err)
	}
	return gvr
}

func TestQuotaStatusFollowsObjects(t *testing.T) {
	in := servertest.StartWith(t, onlyQuota)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	gadgets := createGadgetCRD(t, dyn)
	// ns holds a quota on everything, scoped a best-effort quota (a quota on
	// requests.cpu would refuse best-effort pods).
	const ns, scoped = "quota", "scoped"
	for _, name := range []string{ns, scoped} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// No serviceaccount controller runs: admission needs the default account.
		if _, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	hard := corev1.ResourceList{"pods": resource.MustParse("10"), "requests.cpu": resource.MustParse("4"), "configmaps": resource.MustParse("10"),
		"count/secrets": resource.MustParse("10"), "count/gadgets.example.com": resource.MustParse("10"), "services.nodeports": resource.MustParse("10")}
	for _, q := range []*corev1.ResourceQuota{
		{ObjectMeta: metav1.ObjectMeta{Name: "all", Namespace: ns}, Spec: corev1.ResourceQuotaSpec{Hard: hard}},
		{ObjectMeta: metav1.ObjectMeta{Name: "besteffort", Namespace: scoped}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse("10")},
			Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}}},
	} {
		if _, err := cs.CoreV1().ResourceQuotas(q.Namespace).Create(ctx, q, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// usedIs waits until quota name shows want (name=quantity pairs).
	usedIs := func(t *testing.T, name string, want map[string]string) {
		t.Helper()
		quotas := cs.CoreV1().ResourceQuotas(ns)
		if name == "besteffort" {
			quotas = cs.CoreV1().ResourceQuotas(scoped)
		}
		var last corev1.ResourceQuotaStatus
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			q, err := quotas.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			last = q.Status
			if len(q.Status.Hard) != len(q.Spec.Hard) {
				return false, nil
			}
			for n, w := range want {
				got, ok := q.Status.Used[corev1.ResourceName(n)]
				if !ok || got.Cmp(resource.MustParse(w)) != 0 {
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			t.Fatalf("quota %s never showed %v: last status %+v", name, want, last)
		}
	}
	pod := func(name, cpu string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if cpu != "" {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{"cpu": resource.MustParse(cpu)}
		}
		return p
	}
	gadget := func(name string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": map[string]any{"name": name}}}
	}

	steps := []struct {
		name  string
		do    func() error
		quota string
		want  map[string]string
	}{
		{name: "a new quota starts at zero", do: func() error { return nil }, quota: "all",
			want: map[string]string{"pods": "0", "requests.cpu": "0", "configmaps": "0", "count/secrets": "0", "count/gadgets.example.com": "0", "services.nodeports": "0"}},
		{name: "pods with cpu requests", quota: "all", want: map[string]string{"pods": "2", "requests.cpu": "750m"}, do: func() error {
			if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod("a", "500m"), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := cs.CoreV1().Pods(ns).Create(ctx, pod("b", "250m"), metav1.CreateOptions{})
			return err
		}},
		{name: "a best-effort pod counts in the scoped quota", quota: "besteffort", want: map[string]string{"pods": "1"}, do: func() error {
			if _, err := cs.CoreV1().Pods(scoped).Create(ctx, pod("burstable", "100m"), metav1.CreateOptions{}); err != nil {
				return err
			}
			_, err := cs.CoreV1().Pods(scoped).Create(ctx, pod("plain", ""), metav1.CreateOptions{})
			return err
		}},
		{name: "a deleted pod gives its usage back", quota: "all", want: map[string]string{"pods": "1", "requests.cpu": "250m"}, do: func() error {
			return cs.CoreV1().Pods(ns).Delete(ctx, "a", metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		}},
		{name: "a finished pod stops counting", quota: "all", want: map[string]string{"pods": "0", "requests.cpu": "0"}, do: func() error {
			p, err := cs.CoreV1().Pods(ns).Get(ctx, "b", metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Status.Phase = corev1.PodSucceeded
			_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
			return err
		}},
		{name: "configmaps, secrets and custom resources are counted", quota: "all",
			want: map[string]string{"configmaps": "2", "count/secrets": "1", "count/gadgets.example.com": "2"}, do: func() error {
				for i := range 2 {
					if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("cm", i)}}, metav1.CreateOptions{}); err != nil {
						return err
					}
					if _, err := dyn.Resource(gadgets).Namespace(ns).Create(ctx, gadget(fmt.Sprint("g", i)), metav1.CreateOptions{}); err != nil {
						return err
					}
				}
				_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{})
				return err
			}},
		{name: "deleted configmaps, secrets and custom resources are given back", quota: "all",
			want: map[string]string{"configmaps": "1", "count/secrets": "0", "count/gadgets.example.com": "1"}, do: func() error {
				if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, "cm0", metav1.DeleteOptions{}); err != nil {
					return err
				}
				if err := cs.CoreV1().Secrets(ns).Delete(ctx, "s", metav1.DeleteOptions{}); err != nil {
					return err
				}
				return dyn.Resource(gadgets).Namespace(ns).Delete(ctx, "g0", metav1.DeleteOptions{})
			}},
		{name: "a node-port service", quota: "all", want: map[string]string{"services.nodeports": "2"}, do: func() error {
			_, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "np"}, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 443}}}}, metav1.CreateOptions{})
			return err
		}},
		{name: "a changed spec is counted at once", quota: "all", want: map[string]string{"count/configmaps": "1", "pods": "0"}, do: func() error {
			quotas := cs.CoreV1().ResourceQuotas(ns)
			q, err := quotas.Get(ctx, "all", metav1.GetOptions{})
			if err != nil {
				return err
			}
			q.Spec.Hard["count/configmaps"] = resource.MustParse("5")
			_, err = quotas.Update(ctx, q, metav1.UpdateOptions{})
			return err
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := step.do(); err != nil {
				t.Fatal(err)
			}
			usedIs(t, step.quota, step.want)
		})
	}
}
