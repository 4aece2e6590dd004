package admission_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// warnings collects the Warning headers client-go sees.
type warnings struct {
	mu  sync.Mutex
	got []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.got
	w.got = nil
	return out
}

func restrictedPod(name string) *corev1.Pod {
	return pod(name, func(p *corev1.Pod) {
		p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	})
}

// TestPodSecurity checks enforce, warn and exemptions from namespace labels and the
// admission configuration.
func TestPodSecurity(t *testing.T) {
	dir := t.TempDir()
	cfg := `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: privileged}
    exemptions: {namespaces: [exempt]}
`
	file := filepath.Join(dir, "admission.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	in := servertest.StartWith(t, func(c *server.Config) {
		c.AdmissionControlConfigFile = file
		c.DisableAdmissionPlugins = []string{"ServiceAccount"}
	})
	w := &warnings{}
	rc := rest.CopyConfig(in.Config)
	rc.WarningHandler = w
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{
		"enforced": {"pod-security.kubernetes.io/enforce": "restricted"},
		"warned":   {"pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/warn-version": "v1.30"},
		"exempt":   {"pod-security.kubernetes.io/enforce": "restricted"},
	} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	privileged := pod("priv", func(p *corev1.Pod) {
		p.Spec.HostNetwork = true
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	})
	cases := []struct {
		name     string
		ns       string
		pod      *corev1.Pod
		msg      string
		warnings []string
	}{
		{"restricted pod admitted", "enforced", restrictedPod("ok"), "", nil},
		{"default pod refused", "enforced", pod("plain"),
			`pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`, nil},
		{"privileged pod warned", "warned", privileged, "",
			[]string{`would violate PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)`}},
		{"exempt namespace", "exempt", pod("plain"), "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w.take()
			_, err := cs.CoreV1().Pods(tc.ns).Create(ctx, tc.pod, metav1.CreateOptions{})
			if tc.msg != "" {
				wantStatus(t, err, http.StatusForbidden, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := w.take(); len(got) != len(tc.warnings) || (len(got) > 0 && got[0] != tc.warnings[0]) {
				t.Errorf("warnings = %q, want %q", got, tc.warnings)
			}
		})
	}
	t.Run("deployment warned not refused", func(t *testing.T) {
		w.take()
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}}, Spec: pod("x").Spec}}}
		if _, err := cs.AppsV1().Deployments("enforced").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got := w.take()
		if len(got) != 1 || !strings.HasPrefix(got[0], `would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false`) {
			t.Errorf("warnings = %q", got)
		}
	})
}

// TestPodSecurityNamespaceLabelChange warns about existing pods when the enforce
// level of their namespace tightens.
func TestPodSecurityNamespaceLabelChange(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.DisableAdmissionPlugins = []string{"ServiceAccount"} })
	w := &warnings{}
	rc := rest.CopyConfig(in.Config)
	rc.WarningHandler = w
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lab"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*corev1.Pod{pod("a"), pod("b"), restrictedPod("c"), pod("d", func(p *corev1.Pod) { p.Spec.HostPID = true })} {
		if _, err := cs.CoreV1().Pods("lab").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w.take()
	ns, err := cs.CoreV1().Namespaces().Get(ctx, "lab", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	if _, err := cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`existing pods in namespace "lab" violate the new PodSecurity enforce level "restricted:latest"`,
		`a (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile`,
		`d: host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile`,
	}
	if got := w.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
