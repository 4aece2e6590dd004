package admission_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/server"
)

func quota(t testing.TB, cs kubernetes.Interface, ns, name string, hard corev1.ResourceList, mutate ...func(*corev1.ResourceQuota)) {
	t.Helper()
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	for _, m := range mutate {
		m(q)
	}
	if _, err := cs.CoreV1().ResourceQuotas(ns).Create(context.Background(), q, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func withResources(req, lim corev1.ResourceList) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: req, Limits: lim}
	}
}

func rl(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

// TestResourceQuota checks charging, denials and their messages, scopes and
// storage classes.
func TestResourceQuota(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "q")
	quota(t, cs, "q", "compute", rl("pods", "2", "requests.cpu", "1", "limits.memory", "1Gi", "requests.example.com/gpu", "1"))
	quota(t, cs, "q", "besteffort", rl("pods", "1"), func(q *corev1.ResourceQuota) {
		q.Spec.Scopes = []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}
	})
	quota(t, cs, "q", "objects", rl("count/secrets", "1", "services.nodeports", "1", "persistentvolumeclaims", "5",
		"gold.storageclass.storage.k8s.io/requests.storage", "10Gi"))

	cases := []struct {
		name   string
		create func() error
		code   int32
		msg    string
	}{
		{"pod within quota", func() error {
			_, err := cs.CoreV1().Pods("q").Create(ctx, pod("a", withResources(rl("cpu", "600m"), rl("memory", "512Mi"))), metav1.CreateOptions{})
			return err
		}, 0, ""},
		{"missing requests", func() error {
			_, err := cs.CoreV1().Pods("q").Create(ctx, pod("b", withResources(nil, rl("memory", "1Mi"))), metav1.CreateOptions{})
			return err
		}, http.StatusForbidden, `pods "b" is forbidden: failed quota: compute: must specify requests.cpu for: c`},
		{"cpu exceeded", func() error {
			_, err := cs.CoreV1().Pods("q").Create(ctx, pod("c", withResources(rl("cpu", "500m"), rl("memory", "100Mi"))), metav1.CreateOptions{})
			return err
		}, http.StatusForbidden, `pods "c" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, limited: requests.cpu=1`},
		{"extended resource exceeded", func() error {
			_, err := cs.CoreV1().Pods("q").Create(ctx, pod("d", withResources(rl("cpu", "100m", "example.com/gpu", "2"), rl("memory", "1Mi", "example.com/gpu", "2"))), metav1.CreateOptions{})
			return err
		}, http.StatusForbidden, `pods "d" is forbidden: exceeded quota: compute, requested: requests.example.com/gpu=2, used: requests.example.com/gpu=0, limited: requests.example.com/gpu=1`},
		{"quota without scopes needs requests", func() error {
			_, err := cs.CoreV1().Pods("q").Create(ctx, pod("e", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](5) }), metav1.CreateOptions{})
			return err
		}, http.StatusForbidden, `pods "e" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c`},
		{"secret count", func() error {
			_, err := cs.CoreV1().Secrets("q").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "one"}}, metav1.CreateOptions{})
			return err
		}, 0, ""},
		{"secret count exceeded", func() error {
			_, err := cs.CoreV1().Secrets("q").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "two"}}, metav1.CreateOptions{})
			return err
		}, http.StatusForbidden, `secrets "two" is forbidden: exceeded quota: objects, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1`},
		{"node ports exceeded", func() error {
			_, err := cs.CoreV1().Services("q").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "np"}, Spec: corev1.ServiceSpec{
				Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 81}}}}, metav1.CreateOptions{})
			return err
		}, http.StatusForbidden, `services "np" is forbidden: exceeded quota: objects, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1`},
		{"storage class exceeded", func() error {
			_, err := cs.CoreV1().PersistentVolumeClaims("q").Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "big"}, Spec: corev1.PersistentVolumeClaimSpec{
				StorageClassName: ptr.To("gold"), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: rl("storage", "20Gi")}}}, metav1.CreateOptions{})
			return err
		}, http.StatusForbidden, `persistentvolumeclaims "big" is forbidden: exceeded quota: objects, requested: gold.storageclass.storage.k8s.io/requests.storage=20Gi, used: gold.storageclass.storage.k8s.io/requests.storage=0, limited: gold.storageclass.storage.k8s.io/requests.storage=10Gi`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.create()
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantStatus(t, err, tc.code, tc.msg)
		})
	}
	t.Run("status used", func(t *testing.T) {
		q, err := cs.CoreV1().ResourceQuotas("q").Get(ctx, "compute", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[corev1.ResourceName]string{"pods": "1", "requests.cpu": "600m", "limits.memory": "512Mi", "requests.example.com/gpu": "0"} {
			if got := q.Status.Used[name]; got.Cmp(resource.MustParse(want)) != 0 {
				t.Errorf("used[%s] = %s, want %s", name, got.String(), want)
			}
		}
	})
}

// TestResourceQuotaConcurrentCreates creates N pods at once against a quota of M
// pods: exactly M are admitted.
func TestResourceQuotaConcurrentCreates(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "race")
	const n, m = 20, 7
	quota(t, cs, "race", "pods", rl("pods", "7"))
	var wg sync.WaitGroup
	var created, refused atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cs.CoreV1().Pods("race").Create(ctx, pod("p"+string(rune('a'+i))), metav1.CreateOptions{})
			switch {
			case err == nil:
				created.Add(1)
			default:
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if created.Load() != m || refused.Load() != n-m {
		t.Fatalf("created %d refused %d, want %d and %d", created.Load(), refused.Load(), m, n-m)
	}
	list, err := cs.CoreV1().Pods("race").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != m {
		t.Fatalf("%d pods stored, want %d", len(list.Items), m)
	}
	q, err := cs.CoreV1().ResourceQuotas("race").Get(ctx, "pods", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if used := q.Status.Used["pods"]; used.Value() != m {
		t.Fatalf("used = %s, want %d", used.String(), m)
	}
}

// TestResourceQuotaRightAfterNone: a namespace whose creates found no quota (and
// remember that) gets one; the very next create is charged against it.
func TestResourceQuotaRightAfterNone(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "later")
	for _, name := range []string{"before-1", "before-2"} {
		if _, err := cs.CoreV1().ConfigMaps("later").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	quota(t, cs, "later", "cms", rl("count/configmaps", "3")) // kube-root-ca.crt may count too
	var refused bool
	for i := range 4 {
		_, err := cs.CoreV1().ConfigMaps("later").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after-" + string(rune('a'+i))}}, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) {
			refused = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !refused {
		t.Fatal("four creates past a quota of three configmaps were all admitted")
	}
}

// TestResourceQuotaRecount checks that deleted objects give their usage back.
func TestResourceQuotaRecount(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "rc")
	quota(t, cs, "rc", "cm", rl("secrets", "1"))
	if _, err := cs.CoreV1().Secrets("rc").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Secrets("rc").Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := cs.CoreV1().Secrets("rc").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "b"}}, metav1.CreateOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage never given back: %v", err)
		}
		time.Sleep(time.Second)
	}
}

// TestResourceQuotaScopeChange: an update that gives a pod an active deadline moves
// it from the NotTerminating to the Terminating scope, and admission charges the
// Terminating quotas at once, as upstream (a pod evaluator that handled creates
// only let the next terminating pod past a full quota until a controller recounted).
// The controllers are off so that only admission writes the quotas' status.
func TestResourceQuotaScopeChange(t *testing.T) {
	cs := start(t, func(c *server.Config) { c.Controllers = []string{} })
	ctx := context.Background()
	namespace(t, cs, "scopes")
	for name, scope := range map[string]corev1.ResourceQuotaScope{"term": corev1.ResourceQuotaScopeTerminating, "notterm": corev1.ResourceQuotaScopeNotTerminating} {
		quota(t, cs, "scopes", name, rl("pods", "1", "requests.cpu", "1"), func(q *corev1.ResourceQuota) {
			q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{{ScopeName: scope, Operator: corev1.ScopeSelectorOpExists}}}
		})
		q, err := cs.CoreV1().ResourceQuotas("scopes").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		q.Status = corev1.ResourceQuotaStatus{Hard: q.Spec.Hard, Used: rl("pods", "0", "requests.cpu", "0")}
		if _, err := cs.CoreV1().ResourceQuotas("scopes").UpdateStatus(ctx, q, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	used := func(name string) string {
		q, err := cs.CoreV1().ResourceQuotas("scopes").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods, cpu := q.Status.Used["pods"], q.Status.Used["requests.cpu"]
		return pods.String() + " pods, " + cpu.String() + " cpu"
	}
	requests := withResources(rl("cpu", "500m"), nil)
	long, err := cs.CoreV1().Pods("scopes").Create(ctx, pod("long", requests), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := used("notterm"); got != "1 pods, 500m cpu" {
		t.Errorf("NotTerminating quota after a pod without deadline: %s", got)
	}
	long.Spec.ActiveDeadlineSeconds = ptr.To[int64](3600)
	if long, err = cs.CoreV1().Pods("scopes").Update(ctx, long, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := used("term"); got != "1 pods, 500m cpu" {
		t.Errorf("Terminating quota right after the update gave the pod a deadline: %s, want it charged", got)
	}
	_, err = cs.CoreV1().Pods("scopes").Create(ctx, pod("short", requests, func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) }), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exceeded quota: term") {
		t.Errorf("a second terminating pod past the full Terminating quota: %v, want Forbidden by quota term", err)
	}
	// An update that leaves the scope alone charges nothing more.
	long.Labels = map[string]string{"touched": "yes"}
	if _, err := cs.CoreV1().Pods("scopes").Update(ctx, long, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := used("term"); got != "1 pods, 500m cpu" {
		t.Errorf("Terminating quota after an update within the scope: %s", got)
	}
}

// TestResourceQuotaVolumeAttributesClassScope: a quota scoped to volume attributes
// classes counts the claims that name one of them (spec, current or modification
// target) and no others, as upstream's claim evaluator.
func TestResourceQuotaVolumeAttributesClassScope(t *testing.T) {
	cs := start(t, func(c *server.Config) { c.Controllers = []string{} })
	ctx := context.Background()
	namespace(t, cs, "vac")
	for _, tc := range []struct {
		name string
		op   corev1.ScopeSelectorOperator
		vals []string
	}{{"gold", corev1.ScopeSelectorOpIn, []string{"gold"}}, {"any", corev1.ScopeSelectorOpExists, nil}, {"none", corev1.ScopeSelectorOpDoesNotExist, nil}} {
		quota(t, cs, "vac", tc.name, rl("persistentvolumeclaims", "1", "requests.storage", "5Gi"), func(q *corev1.ResourceQuota) {
			q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
				{ScopeName: corev1.ResourceQuotaScopeVolumeAttributesClass, Operator: tc.op, Values: tc.vals}}}
		})
		q, err := cs.CoreV1().ResourceQuotas("vac").Get(ctx, tc.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		q.Status = corev1.ResourceQuotaStatus{Hard: q.Spec.Hard, Used: rl("persistentvolumeclaims", "0", "requests.storage", "0")}
		if _, err := cs.CoreV1().ResourceQuotas("vac").UpdateStatus(ctx, q, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(name, class string) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: ptr.To(""),
			Resources:        corev1.VolumeResourceRequirements{Requests: rl("storage", "1Gi")}}}
		if class != "" {
			c.Spec.VolumeAttributesClassName = ptr.To(class)
		}
		return c
	}
	usedClaims := func() map[string]string {
		out := map[string]string{}
		for _, n := range []string{"gold", "any", "none"} {
			q, err := cs.CoreV1().ResourceQuotas("vac").Get(ctx, n, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c := q.Status.Used["persistentvolumeclaims"]
			out[n] = c.String()
		}
		return out
	}
	for _, step := range []struct {
		claim, class string
		// forbiddenBy names the full quota that refuses the claim, "" if admitted.
		forbiddenBy string
		used        map[string]string
	}{
		{"gold-1", "gold", "", map[string]string{"gold": "1", "any": "1", "none": "0"}},
		{"gold-2", "gold", "exceeded quota: any", nil},
		{"plain-1", "", "", map[string]string{"gold": "1", "any": "1", "none": "1"}},
		{"plain-2", "", "exceeded quota: none", nil},
	} {
		_, err := cs.CoreV1().PersistentVolumeClaims("vac").Create(ctx, claim(step.claim, step.class), metav1.CreateOptions{})
		if step.forbiddenBy != "" {
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), step.forbiddenBy) {
				t.Errorf("claim %s: %v, want Forbidden (%s)", step.claim, err, step.forbiddenBy)
			}
			continue
		}
		if err != nil {
			t.Fatalf("claim %s: %v", step.claim, err)
		}
		if got := usedClaims(); !reflect.DeepEqual(got, step.used) {
			t.Errorf("after claim %s, claims used per quota %v, want %v", step.claim, got, step.used)
		}
	}
}
