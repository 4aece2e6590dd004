package admission_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestDefaultChainOnPods creates pods through the default chain and checks what
// each mutating plugin added, in upstream's order.
func TestDefaultChainOnPods(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "ns1")
	_, err := cs.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{
		ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000, PreemptionPolicy: ptr.To(corev1.PreemptNever)}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{
		ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"runtime": "kata"},
			Tolerations: []corev1.Toleration{{Key: "kata", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		pod   *corev1.Pod
		check func(t *testing.T, p *corev1.Pod)
	}{
		{"service account and token volume", pod("sa"), func(t *testing.T, p *corev1.Pod) {
			if p.Spec.ServiceAccountName != "default" || p.Spec.DeprecatedServiceAccount != "default" {
				t.Errorf("serviceAccountName = %q", p.Spec.ServiceAccountName)
			}
			if len(p.Spec.Volumes) != 1 || !strings.HasPrefix(p.Spec.Volumes[0].Name, "kube-api-access-") || len(p.Spec.Volumes[0].Name) != len("kube-api-access-")+5 {
				t.Fatalf("volumes = %+v", p.Spec.Volumes)
			}
			proj := p.Spec.Volumes[0].Projected
			if proj == nil || len(proj.Sources) != 3 || *proj.DefaultMode != 0o644 ||
				proj.Sources[0].ServiceAccountToken == nil || *proj.Sources[0].ServiceAccountToken.ExpirationSeconds != 3607 ||
				proj.Sources[1].ConfigMap == nil || proj.Sources[1].ConfigMap.Name != "kube-root-ca.crt" ||
				proj.Sources[2].DownwardAPI == nil || proj.Sources[2].DownwardAPI.Items[0].FieldRef.FieldPath != "metadata.namespace" {
				t.Errorf("projected volume = %+v", proj)
			}
			m := p.Spec.Containers[0].VolumeMounts
			if len(m) != 1 || m[0].MountPath != "/var/run/secrets/kubernetes.io/serviceaccount" || !m[0].ReadOnly || m[0].Name != p.Spec.Volumes[0].Name {
				t.Errorf("mounts = %+v", m)
			}
		}},
		{"no automount", pod("noauto", func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(false) }), func(t *testing.T, p *corev1.Pod) {
			if len(p.Spec.Volumes) != 0 || len(p.Spec.Containers[0].VolumeMounts) != 0 {
				t.Errorf("volumes = %+v", p.Spec.Volumes)
			}
		}},
		{"default tolerations", pod("tol"), func(t *testing.T, p *corev1.Pod) {
			want := []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
			}
			if !equality.Semantic.DeepEqual(p.Spec.Tolerations, want) {
				t.Errorf("tolerations = %+v", p.Spec.Tolerations)
			}
		}},
		{"tolerate-all keeps tolerations", pod("tolall", func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		}), func(t *testing.T, p *corev1.Pod) {
			if len(p.Spec.Tolerations) != 1 {
				t.Errorf("tolerations = %+v", p.Spec.Tolerations)
			}
		}},
		{"priority without class", pod("prio0"), func(t *testing.T, p *corev1.Pod) {
			if p.Spec.Priority == nil || *p.Spec.Priority != 0 || p.Spec.PreemptionPolicy == nil || *p.Spec.PreemptionPolicy != corev1.PreemptLowerPriority {
				t.Errorf("priority = %v %v", p.Spec.Priority, p.Spec.PreemptionPolicy)
			}
		}},
		{"priority from class", pod("prio", func(p *corev1.Pod) { p.Spec.PriorityClassName = "high" }), func(t *testing.T, p *corev1.Pod) {
			if p.Spec.Priority == nil || *p.Spec.Priority != 1000 || *p.Spec.PreemptionPolicy != corev1.PreemptNever {
				t.Errorf("priority = %v %v", p.Spec.Priority, p.Spec.PreemptionPolicy)
			}
		}},
		{"runtime class merged", pod("rc", func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("kata") }), func(t *testing.T, p *corev1.Pod) {
			if q := p.Spec.Overhead[corev1.ResourceCPU]; q.String() != "250m" {
				t.Errorf("overhead = %v", p.Spec.Overhead)
			}
			if p.Spec.NodeSelector["runtime"] != "kata" {
				t.Errorf("nodeSelector = %v", p.Spec.NodeSelector)
			}
			found := false
			for _, tol := range p.Spec.Tolerations {
				found = found || tol.Key == "kata"
			}
			if !found {
				t.Errorf("tolerations = %+v", p.Spec.Tolerations)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cs.CoreV1().Pods("ns1").Create(ctx, tc.pod, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

// TestPodDenials checks the messages of the plugins that refuse pods.
func TestPodDenials(t *testing.T) {
	cs := start(t, nil)
	ctx := context.Background()
	namespace(t, cs, "ns1")
	_, err := cs.CoreV1().ServiceAccounts("ns1").Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "strict", Annotations: map[string]string{"kubernetes.io/enforce-mountable-secrets": "true"}},
		Secrets:    []corev1.ObjectReference{{Name: "ok"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ns   string
		pod  *corev1.Pod
		code int32
		msg  string
	}{
		{"missing priority class", "ns1", pod("p1", func(p *corev1.Pod) { p.Spec.PriorityClassName = "nope" }),
			http.StatusForbidden, `pods "p1" is forbidden: no PriorityClass with name nope was found`},
		{"priority value set", "ns1", pod("p2", func(p *corev1.Pod) { p.Spec.Priority = ptr.To[int32](7) }),
			http.StatusForbidden, `pods "p2" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name`},
		{"missing runtime class", "ns1", pod("p3", func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("gvisor") }),
			http.StatusForbidden, `pods "p3" is forbidden: pod rejected: RuntimeClass "gvisor" not found`},
		{"missing service account", "ns1", pod("p4", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "ghost" }),
			http.StatusForbidden, `pods "p4" is forbidden: error looking up service account ns1/ghost: serviceaccount "ghost" not found`},
		{"unmountable secret", "ns1", pod("p5", func(p *corev1.Pod) {
			p.Spec.ServiceAccountName = "strict"
			p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "other"}}}}
		}), http.StatusForbidden, `pods "p5" is forbidden: volume with secret.secretName="other" is not allowed because service account strict does not reference that secret`},
		{"mirror pod with service account", "ns1", pod("p6", func(p *corev1.Pod) {
			p.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"}
			p.Spec.ServiceAccountName = "default"
		}), http.StatusForbidden, `pods "p6" is forbidden: a mirror pod may not reference service accounts`},
		{"missing namespace", "ghost", pod("p8"), http.StatusNotFound, `namespaces "ghost" not found`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cs.CoreV1().Pods(tc.ns).Create(ctx, tc.pod, metav1.CreateOptions{})
			wantStatus(t, err, tc.code, tc.msg)
		})
	}
}
