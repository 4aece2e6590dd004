package builtin_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// bapCase is one batch, autoscaling or policy resource driven through the stack.
type bapCase struct {
	gvr   schema.GroupVersionResource
	kind  string
	valid string // the object's JSON without apiVersion, kind and metadata
	// invalid breaks the valid body; field is the cause it must produce.
	invalid func(map[string]any)
	field   string
}

const bapPodTemplate = `{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}`

func bapCases() []bapCase {
	return []bapCase{
		{
			gvr: batchv1.SchemeGroupVersion.WithResource("jobs"), kind: "Job",
			valid: `{"spec":{"template":` + bapPodTemplate + `}}`,
			invalid: func(m map[string]any) {
				bapField(m, "spec", "template", "spec").(map[string]any)["restartPolicy"] = "Always"
			},
			field: "spec.template.spec.restartPolicy",
		},
		{
			gvr: batchv1.SchemeGroupVersion.WithResource("cronjobs"), kind: "CronJob",
			valid:   `{"spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":` + bapPodTemplate + `}}}}`,
			invalid: func(m map[string]any) { bapField(m, "spec").(map[string]any)["schedule"] = "61 * * * *" },
			field:   "spec.schedule",
		},
		{
			gvr: autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers"), kind: "HorizontalPodAutoscaler",
			valid:   `{"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":3}}`,
			invalid: func(m map[string]any) { bapField(m, "spec").(map[string]any)["maxReplicas"] = 0 },
			field:   "spec.maxReplicas",
		},
		{
			gvr: autoscalingv1.SchemeGroupVersion.WithResource("horizontalpodautoscalers"), kind: "HorizontalPodAutoscaler",
			valid: `{"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":3,` +
				`"targetCPUUtilizationPercentage":50}}`,
			invalid: func(m map[string]any) { bapField(m, "spec").(map[string]any)["targetCPUUtilizationPercentage"] = 0 },
			field:   "spec.metrics[0].resource.target.averageUtilization",
		},
		{
			gvr: policyv1.SchemeGroupVersion.WithResource("poddisruptionbudgets"), kind: "PodDisruptionBudget",
			valid:   `{"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}}`,
			invalid: func(m map[string]any) { bapField(m, "spec").(map[string]any)["maxUnavailable"] = 1 },
			field:   "spec",
		},
	}
}

func bapField(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		cur = cur.(map[string]any)[p]
	}
	return cur
}

func bapObject(t *testing.T, c bapCase, name string) *unstructured.Unstructured {
	t.Helper()
	body := map[string]any{}
	if err := json.Unmarshal([]byte(c.valid), &body); err != nil {
		t.Fatal(err)
	}
	body["apiVersion"] = c.gvr.GroupVersion().String()
	body["kind"] = c.kind
	body["metadata"] = map[string]any{"name": name}
	return &unstructured.Unstructured{Object: body}
}

func bapCauses(err error) []string {
	var out []string
	if st, ok := err.(apierrors.APIStatus); ok && st.Status().Details != nil {
		for _, c := range st.Status().Details.Causes {
			out = append(out, c.Field)
		}
	}
	return out
}

// TestBatchAutoscalingPolicyResources drives jobs, cronjobs, both versions of
// horizontalpodautoscalers and poddisruptionbudgets through the whole stack:
// CRUD, a rejected create, the etcd key and discovery against the reference.
func TestBatchAutoscalingPolicyResources(t *testing.T) {
	in := servertest.Start(t)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	for _, c := range bapCases() {
		t.Run(c.gvr.Version+"/"+c.gvr.Resource, func(t *testing.T) {
			ri := dyn.Resource(c.gvr).Namespace("default")
			name := "x-" + c.gvr.Version + "-" + c.gvr.Resource[:3]
			created, err := ri.Create(ctx, bapObject(t, c, name), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if created.GetAPIVersion() != c.gvr.GroupVersion().String() {
				t.Errorf("apiVersion %q, want %q", created.GetAPIVersion(), c.gvr.GroupVersion())
			}
			if created.GetGeneration() != 1 {
				t.Errorf("generation %d, want 1", created.GetGeneration())
			}
			if _, err := ri.Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Fatalf("get: %v", err)
			}
			list, err := ri.List(ctx, metav1.ListOptions{})
			if err != nil || !slices.ContainsFunc(list.Items, func(u unstructured.Unstructured) bool { return u.GetName() == name }) {
				t.Fatalf("list: %v", err)
			}
			created.SetAnnotations(map[string]string{"updated": "yes"})
			updated, err := ri.Update(ctx, created, metav1.UpdateOptions{})
			if err != nil || updated.GetAnnotations()["updated"] != "yes" {
				t.Fatalf("update: %v", err)
			}
			patched, err := ri.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"labels":{"patched":"yes"}}}`), metav1.PatchOptions{})
			if err != nil || patched.GetLabels()["patched"] != "yes" {
				t.Fatalf("patch: %v", err)
			}
			key := "/registry/" + c.gvr.Resource + "/default/" + name
			if resp, err := in.Etcd.Get(ctx, key); err != nil || len(resp.Kvs) != 1 {
				t.Errorf("etcd key %s: %v", key, err)
			}
			// Background, as kubectl sends: batch/v1 Jobs orphan (and linger) by default.
			background := metav1.DeletePropagationBackground
			if err := ri.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if _, err := ri.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("get after delete: %v", err)
			}

			bad := bapObject(t, c, "bad-"+name)
			c.invalid(bad.Object)
			_, err = ri.Create(ctx, bad, metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) {
				t.Fatalf("invalid create: %v, want 422", err)
			}
			if causes := bapCauses(err); !slices.Contains(causes, c.field) {
				t.Errorf("invalid create causes %v, want one on %s (%v)", causes, c.field, err)
			}
		})
	}

	t.Run("discovery", func(t *testing.T) {
		disco := kubernetes.NewForConfigOrDie(in.Config).Discovery()
		for _, gv := range []string{"batch/v1", "autoscaling/v1", "autoscaling/v2", "policy/v1"} {
			got, err := disco.ServerResourcesForGroupVersion(gv)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile("/work/shared/reference/discovery/apis_" + strings.ReplaceAll(gv, "/", "_") + ".json")
			if err != nil {
				t.Skipf("reference discovery not available: %v", err)
			}
			var want metav1.APIResourceList
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			for _, w := range want.APIResources {
				i := slices.IndexFunc(got.APIResources, func(r metav1.APIResource) bool { return r.Name == w.Name })
				if i < 0 {
					t.Errorf("%s: %s missing", gv, w.Name)
					continue
				}
				g := got.APIResources[i]
				if g.SingularName != w.SingularName || g.Namespaced != w.Namespaced || g.Kind != w.Kind ||
					!slices.Equal(g.Verbs, w.Verbs) || !slices.Equal(g.ShortNames, w.ShortNames) ||
					!slices.Equal(g.Categories, w.Categories) || g.StorageVersionHash != w.StorageVersionHash {
					t.Errorf("%s %s:\n got %+v\nwant %+v", gv, w.Name, g, w)
				}
			}
		}
	})
}

// TestJobBehaviour checks what the Job strategy adds: the generated selector and
// labels, the immutable template, the status.successful field selector and the
// table columns.
func TestJobBehaviour(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	jobs := cs.BatchV1().Jobs("default")
	ctx := context.Background()
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pi"}},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "pi", Image: "perl"}}},
		}},
	}
	created, err := jobs.Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	uid := string(created.UID)

	t.Run("generated selector and labels", func(t *testing.T) {
		wantLabels := map[string]string{"app": "pi", "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
			"controller-uid": uid, "job-name": "pi"}
		if got := created.Spec.Template.Labels; !mapsEqual(got, wantLabels) {
			t.Errorf("template labels %v, want %v", got, wantLabels)
		}
		if got := created.Spec.Selector.MatchLabels; !mapsEqual(got, map[string]string{"batch.kubernetes.io/controller-uid": uid}) {
			t.Errorf("selector %v", got)
		}
		// The defaulted job labels share the template's map, so they show the
		// generated labels too, as upstream.
		if got := created.Labels; !mapsEqual(got, wantLabels) {
			t.Errorf("job labels %v, want %v", got, wantLabels)
		}
		if created.Spec.ManualSelector == nil || *created.Spec.ManualSelector || *created.Spec.BackoffLimit != 6 || *created.Spec.Completions != 1 {
			t.Errorf("defaults: %+v", created.Spec)
		}
	})

	t.Run("template is immutable", func(t *testing.T) {
		cur, err := jobs.Get(ctx, "pi", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Template.Spec.Containers[0].Image = "perl:2"
		_, err = jobs.Update(ctx, cur, metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !slices.Contains(bapCauses(err), "spec.template") {
			t.Fatalf("update: %v, want a spec.template cause", err)
		}
	})

	t.Run("job without labels gets the generated ones", func(t *testing.T) {
		j := job.DeepCopy()
		j.Name, j.Spec.Template.Labels = "bare", nil
		got, err := jobs.Create(ctx, j, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Labels["batch.kubernetes.io/job-name"] != "bare" || got.Labels["controller-uid"] != string(got.UID) {
			t.Errorf("labels %v", got.Labels)
		}
	})

	t.Run("manual selector must match", func(t *testing.T) {
		j := job.DeepCopy()
		j.Name, j.Spec.ManualSelector = "manual", new(true)
		j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
		_, err := jobs.Create(ctx, j, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !slices.Contains(bapCauses(err), "spec.template.metadata.labels") {
			t.Fatalf("create: %v, want a spec.template.metadata.labels cause", err)
		}
	})

	t.Run("field selector", func(t *testing.T) {
		list, err := jobs.List(ctx, metav1.ListOptions{FieldSelector: "status.successful=0"})
		if err != nil || len(list.Items) != 2 {
			t.Fatalf("list status.successful=0: %v, %d items", err, len(list.Items))
		}
		list, err = jobs.List(ctx, metav1.ListOptions{FieldSelector: "status.successful=1"})
		if err != nil || len(list.Items) != 0 {
			t.Fatalf("list status.successful=1: %v, %d items", err, len(list.Items))
		}
		_, err = jobs.List(ctx, metav1.ListOptions{FieldSelector: "spec.parallelism=1"})
		if !apierrors.IsBadRequest(err) {
			t.Fatalf("unsupported field label: %v, want 400", err)
		}
	})

	t.Run("table", func(t *testing.T) {
		for _, tc := range []struct {
			name, path string
			want       []string
		}{
			{name: "jobs", path: "/apis/batch/v1/namespaces/default/jobs",
				want: []string{"Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"}},
			{name: "horizontalpodautoscalers", path: "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
				want: []string{"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"}},
			{name: "poddisruptionbudgets", path: "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
				want: []string{"Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				raw, err := cs.CoreV1().RESTClient().Get().AbsPath(tc.path).
					SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var table metav1.Table
				if err := json.Unmarshal(raw, &table); err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, c := range table.ColumnDefinitions {
					names = append(names, c.Name)
				}
				if !slices.Equal(names, tc.want) {
					t.Errorf("columns %v, want %v", names, tc.want)
				}
			})
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestHPAVersions checks that autoscaling/v1 clients see a v2 autoscaler's CPU
// target in targetCPUUtilizationPercentage and its other metrics and behavior in
// annotations, and that a v1 update keeps them.
func TestHPAVersions(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	v2 := cs.AutoscalingV2().HorizontalPodAutoscalers("default")
	v1 := cs.AutoscalingV1().HorizontalPodAutoscalers("default")
	memory := resource.MustParse("200Mi")
	_, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MaxReplicas:    5,
			Metrics: []autoscalingv2.MetricSpec{
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: new(int32(60))}}},
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceMemory,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &memory}}},
			},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
				StabilizationWindowSeconds: new(int32(60))}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	old, err := v1.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := old.Spec.TargetCPUUtilizationPercentage; p == nil || *p != 60 {
		t.Errorf("targetCPUUtilizationPercentage %v, want 60", p)
	}
	if a := old.Annotations["autoscaling.alpha.kubernetes.io/metrics"]; !strings.Contains(a, `"memory"`) {
		t.Errorf("metrics annotation %q, want the memory metric", a)
	}
	if a := old.Annotations["autoscaling.alpha.kubernetes.io/behavior"]; !strings.Contains(a, `"StabilizationWindowSeconds":60`) {
		t.Errorf("behavior annotation %q", a)
	}

	old.Spec.MaxReplicas = 7
	if _, err := v1.Update(ctx, old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.MaxReplicas != 7 || len(got.Spec.Metrics) != 2 || got.Spec.Metrics[0].Resource.Name != corev1.ResourceMemory ||
		got.Spec.Behavior == nil || got.Spec.Behavior.ScaleDown == nil {
		t.Errorf("after a v1 update: %+v", got.Spec)
	}
	if len(got.Annotations) != 0 {
		t.Errorf("v2 annotations %v, want none", got.Annotations)
	}
	if got.Generation != 2 {
		t.Errorf("generation %d, want 2", got.Generation)
	}

	t.Run("pdb update needs a resourceVersion", func(t *testing.T) {
		pdbs := cs.PolicyV1().PodDisruptionBudgets("default")
		one := intstr.FromInt32(1)
		pdb, err := pdbs.Create(ctx, &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "b"},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pdb.ResourceVersion = ""
		_, err = pdbs.Update(ctx, pdb, metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !slices.Contains(bapCauses(err), "metadata.resourceVersion") {
			t.Fatalf("update without resourceVersion: %v, want 422", err)
		}
	})
}
