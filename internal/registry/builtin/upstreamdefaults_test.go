package builtin_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// warningLog collects the Warning headers a client receives.
type warningLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningLog) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// take returns and forgets the warnings seen so far.
func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

func warnedClient(in *servertest.Instance) (*kubernetes.Clientset, *warningLog) {
	cfg := rest.CopyConfig(in.Config)
	log := &warningLog{}
	cfg.WarningHandler = log
	return kubernetes.NewForConfigOrDie(cfg), log
}

const jobWarning = "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"

func TestDeleteDefaultsToOrphanForJobsAndReplicationControllers(t *testing.T) {
	in := servertest.Start(t)
	cs, warnings := warnedClient(in)
	ctx := context.Background()
	newJob := func(name string) {
		t.Helper()
		job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
		if _, err := cs.BatchV1().Jobs("default").Create(ctx, job, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name          string
		opts          metav1.DeleteOptions
		wantFinalizer bool
		wantWarning   bool
	}{
		{name: "no policy orphans and warns", opts: metav1.DeleteOptions{}, wantFinalizer: true, wantWarning: true},
		{name: "background deletes at once", opts: metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}},
		{name: "explicit orphan does not warn", opts: metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationOrphan)}, wantFinalizer: true},
	}
	for i, tc := range tests {
		t.Run("job: "+tc.name, func(t *testing.T) {
			name := "job" + string(rune('a'+i))
			newJob(name)
			warnings.take()
			// The DELETE's answer, not a later GET: the garbage collector may finish
			// orphaning (and remove the finalizer) at any moment.
			answer, err := cs.BatchV1().RESTClient().Delete().Namespace("default").Resource("jobs").Name(name).
				Body(&tc.opts).Do(ctx).Get()
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(warnings.take(), jobWarning); got != tc.wantWarning {
				t.Errorf("warning sent = %v, want %v", got, tc.wantWarning)
			}
			job, isJob := answer.(*batchv1.Job)
			if !tc.wantFinalizer {
				if isJob {
					t.Fatalf("deleting answered with the job %v, want a Status: it is gone", job.Finalizers)
				}
				if _, err := cs.BatchV1().Jobs("default").Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Fatalf("job still there: %v", err)
				}
				return
			}
			if !isJob || !slices.Contains(job.Finalizers, metav1.FinalizerOrphanDependents) || job.DeletionTimestamp == nil {
				t.Fatalf("deleting answered %#v, want the job with the orphan finalizer and a deletionTimestamp", answer)
			}
		})
	}
	t.Run("replication controller without policy orphans silently", func(t *testing.T) {
		rc := &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: "rc"}, Spec: corev1.ReplicationControllerSpec{
			Selector: map[string]string{"app": "x"},
			Template: &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
		if _, err := cs.CoreV1().ReplicationControllers("default").Create(ctx, rc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		warnings.take()
		answer, err := cs.CoreV1().RESTClient().Delete().Namespace("default").Resource("replicationcontrollers").Name("rc").
			Body(&metav1.DeleteOptions{}).Do(ctx).Get()
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := answer.(*corev1.ReplicationController); !ok || !slices.Contains(got.Finalizers, metav1.FinalizerOrphanDependents) {
			t.Fatalf("deleting answered %#v, want the rc with the orphan finalizer", answer)
		}
		if w := warnings.take(); len(w) != 0 {
			t.Errorf("unexpected warnings %v", w)
		}
	})
}

func TestSystemPriorityClassesCannotBeDeleted(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	tests := []struct {
		name, class string
		wantErr     string
	}{
		{name: "node critical", class: "system-node-critical",
			wantErr: `priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted`},
		{name: "cluster critical", class: "system-cluster-critical",
			wantErr: `priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: this is a system priority class and cannot be deleted`},
		{name: "ordinary class", class: "ordinary"},
	}
	if _, err := cs.SchedulingV1().PriorityClasses().Create(ctx, &schedulingPriorityClass, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cs.SchedulingV1().PriorityClasses().Delete(ctx, tc.class, metav1.DeleteOptions{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !apierrors.IsForbidden(err) || err.Error() != tc.wantErr {
				t.Fatalf("err = %v, want 403 %q", err, tc.wantErr)
			}
		})
	}
}

func TestStorageClassDefaultMarkedInListTable(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	for _, sc := range []*storagev1.StorageClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "fast", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}}, Provisioner: "example.com/fast"},
		{ObjectMeta: metav1.ObjectMeta{Name: "slow"}, Provisioner: "example.com/slow"},
	} {
		if _, err := cs.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, path string
		wantNames  []string
	}{
		{name: "list marks the default", path: "/apis/storage.k8s.io/v1/storageclasses", wantNames: []string{"fast (default)", "slow"}},
		{name: "single object is unmarked, as upstream", path: "/apis/storage.k8s.io/v1/storageclasses/fast", wantNames: []string{"fast"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := cs.RESTClient().Get().AbsPath(tc.path).SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var table metav1.Table
			if err := json.Unmarshal(raw, &table); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, row := range table.Rows {
				names = append(names, row.Cells[0].(string))
			}
			if !slices.Equal(names, tc.wantNames) {
				t.Fatalf("names %q, want %q", names, tc.wantNames)
			}
		})
	}
}

func TestDefaultServiceCIDRIsReady(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	var sc *networkingv1.ServiceCIDR
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		sc, err = cs.NetworkingV1().ServiceCIDRs().Get(ctx, "kubernetes", metav1.GetOptions{})
		if err == nil && apimeta.FindStatusCondition(sc.Status.Conditions, networkingv1.ServiceCIDRConditionReady) != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Ready condition on the default ServiceCIDR: %v %v", sc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cond := apimeta.FindStatusCondition(sc.Status.Conditions, networkingv1.ServiceCIDRConditionReady)
	if cond.Status != metav1.ConditionTrue || cond.Message != "Kubernetes default Service CIDR is ready" || cond.LastTransitionTime.IsZero() {
		t.Fatalf("Ready condition %+v", cond)
	}
}

func TestServiceWarnings(t *testing.T) {
	in := servertest.Start(t)
	cs, warnings := warnedClient(in)
	ctx := context.Background()
	svc := func(name string, edit func(*corev1.Service)) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
		edit(s)
		return s
	}
	tests := []struct {
		name string
		svc  *corev1.Service
		want []string
	}{
		{name: "deprecated topology annotation", svc: svc("hints", func(s *corev1.Service) {
			s.Annotations = map[string]string{"service.kubernetes.io/topology-aware-hints": "auto"}
		}), want: []string{"annotation service.kubernetes.io/topology-aware-hints is deprecated, please use service.kubernetes.io/topology-mode instead"}},
		{name: "external IPs", svc: svc("ext", func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"192.0.2.1"} }),
			want: []string{"spec.externalIPs is deprecated and may no longer be implemented in some clusters"}},
		{name: "externalName on a ClusterIP service", svc: svc("named", func(s *corev1.Service) { s.Spec.ExternalName = "example.com" }),
			want: []string{`spec.externalName is ignored when spec.type is not "ExternalName"`}},
		{name: "PreferClose traffic distribution", svc: svc("close", func(s *corev1.Service) { s.Spec.TrafficDistribution = ptr.To("PreferClose") }),
			want: []string{`spec.trafficDistribution: "PreferClose" is deprecated; use "PreferSameZone"`}},
		{name: "plain service has none", svc: svc("plain", func(*corev1.Service) {})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			warnings.take()
			if _, err := cs.CoreV1().Services("default").Create(ctx, tc.svc, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			got := warnings.take()
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("warnings %q lack %q", got, w)
				}
			}
			if len(tc.want) == 0 && len(got) != 0 {
				t.Errorf("unexpected warnings %q", got)
			}
		})
	}
	t.Run("update warns too", func(t *testing.T) {
		cur, err := cs.CoreV1().Services("default").Get(ctx, "plain", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.ExternalName = "example.com"
		warnings.take()
		if _, err := cs.CoreV1().Services("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := warnings.take(); !slices.ContainsFunc(got, func(w string) bool { return strings.Contains(w, "spec.externalName is ignored") }) {
			t.Fatalf("warnings %q", got)
		}
	})
}

var schedulingPriorityClass = schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "ordinary"}, Value: 10}

func TestPodWarningsOnCreate(t *testing.T) {
	in := servertest.Start(t)
	cs, warnings := warnedClient(in)
	withDefaultServiceAccount(t, cs)
	ctx := context.Background()
	pod := func(name string, edit func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
		edit(p)
		return p
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want []string
	}{
		{name: "deprecated node label", pod: pod("arch", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"beta.kubernetes.io/arch": "amd64"} }),
			want: []string{`spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use "kubernetes.io/arch" instead`}},
		{name: "critical-pod annotation", pod: pod("critical", func(p *corev1.Pod) {
			p.Annotations = map[string]string{"scheduler.alpha.kubernetes.io/critical-pod": ""}
		}), want: []string{`metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the "priorityClassName" field instead`}},
		{name: "seccomp annotation", pod: pod("seccomp", func(p *corev1.Pod) {
			p.Annotations = map[string]string{"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}
		}), want: []string{`metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "seccompProfile" field instead`}},
		{name: "name that is not a DNS label", pod: pod("dotted.name", func(*corev1.Pod) {}),
			want: []string{"metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]"}},
		{name: "fractional memory", pod: pod("fraction", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = resources(map[corev1.ResourceName]string{"memory": "1500m"}, nil)
		}), want: []string{`spec.containers[0].resources.requests[memory]: fractional byte value "1500m" is invalid, must be an integer`}},
		{name: "plain pod has none", pod: pod("plain", func(*corev1.Pod) {})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			warnings.take()
			if _, err := cs.CoreV1().Pods("default").Create(ctx, tc.pod, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			got := warnings.take()
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("warnings %q lack %q", got, w)
				}
			}
			if len(tc.want) == 0 && len(got) != 0 {
				t.Errorf("unexpected warnings %q", got)
			}
		})
	}
}
