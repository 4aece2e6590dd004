package admission_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/server"
)

// series is a sample's canonical name{label="value",...}, labels sorted.
func series(name string, labels ...string) string {
	pairs := make([]string, 0, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, labels[i]+`="`+labels[i+1]+`"`)
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

func evaluation(decision, level, version, mode, op, resource, sub string) string {
	return series("pod_security_evaluations_total", "decision", decision, "policy_level", level, "policy_version", version,
		"mode", mode, "request_operation", op, "resource", resource, "subresource", sub)
}

func exemption(op, resource, sub string) string {
	return series("pod_security_exemptions_total", "request_operation", op, "resource", resource, "subresource", sub)
}

func podSecurityError(fatal, op, resource, sub string) string {
	return series("pod_security_errors_total", "fatal", fatal, "request_operation", op, "resource", resource, "subresource", sub)
}

// scrapePodSecurity reads /metrics as the system:monitoring user and returns the
// pod_security_* samples by canonical series, and the raw body.
func scrapePodSecurity(t *testing.T, s *podSecurityServer) (map[string]float64, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.in.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer monitor-token")
	resp, err := s.in.AnonymousClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics as system:monitoring = %d, %v: %s", resp.StatusCode, err, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "pod_security_") {
			continue
		}
		head, value, _ := strings.Cut(line, " ")
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		name, rest, _ := strings.Cut(head, "{")
		var labels []string
		for _, pair := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			if k, val, ok := strings.Cut(pair, "="); ok {
				labels = append(labels, k, strings.Trim(val, `"`))
			}
		}
		out[series(name, labels...)] = v
	}
	return out, string(body)
}

// delta is what changed between two scrapes.
func delta(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// putNamespace writes a namespace straight into etcd, as a server without
// PodSecurity (or an older one) may have left it: labels kapi would refuse.
func putNamespace(t *testing.T, s *podSecurityServer, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Labels: labels, CreationTimestamp: metav1.Now()},
		Spec:       corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	}
	var buf bytes.Buffer
	if err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Encode(ns, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := s.in.Etcd.Put(context.Background(), "/registry/namespaces/"+name, buf.String()); err != nil {
		t.Fatal(err)
	}
}

// TestPodSecurityMetrics checks that upstream's pod_security_* series count each
// evaluation, exemption and error where upstream's PodSecurity does, with its
// label values, and nothing else.
func TestPodSecurityMetrics(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("monitor-token,monitor,1,\"system:monitoring\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startPodSecurity(t, `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: privileged}
exemptions: {namespaces: [exempt], usernames: [exempt-user], runtimeClasses: [kata]}
`, func(c *server.Config) {
		c.TokenAuthFile = tokens
		// Without it a pod in a missing namespace reaches PodSecurity, whose lookup fails.
		c.DisableAdmissionPlugins = append(c.DisableAdmissionPlugins, "NamespaceLifecycle")
	})
	ctx := context.Background()

	t.Run("served before any evaluation", func(t *testing.T) {
		got, body := scrapePodSecurity(t, s)
		want := map[string]float64{
			evaluation("allow", "privileged", "latest", "enforce", "create", "pod", ""): 0,
			evaluation("allow", "privileged", "latest", "enforce", "update", "pod", ""): 0,
			exemption("create", "pod", ""):                                              0,
			exemption("update", "pod", ""):                                              0,
			exemption("create", "controller", ""):                                       0,
			exemption("update", "controller", ""):                                       0,
		}
		if !maps.Equal(got, want) {
			t.Errorf("pod_security_* series = %v, want %v", got, want)
		}
		for _, help := range []string{
			"# HELP pod_security_evaluations_total [ALPHA] Number of policy evaluations that occurred, not counting ignored or exempt requests.",
			"# HELP pod_security_exemptions_total [ALPHA] Number of exempt requests, not counting ignored or out of scope requests.",
		} {
			if !strings.Contains(body, help+"\n") {
				t.Errorf("missing %q", help)
			}
		}
	})

	if _, err := s.cs.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata"}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, labels := range map[string]map[string]string{
		"m-plain":      nil,
		"m-priv-v130":  {"pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/enforce-version": "v1.30"},
		"m-restricted": {"pod-security.kubernetes.io/enforce": "restricted"},
		"m-pinned": {
			"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30",
			"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "v1.99",
			"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.25",
		},
		"exempt": nil,
	} {
		if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	putNamespace(t, s, "m-invalid", map[string]string{"pod-security.kubernetes.io/enforce": "bogus"})

	deployment := func(name string, p *corev1.Pod) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}}, Spec: p.Spec}}}
	}
	createPod := func(ns string, p *corev1.Pod) error {
		_, err := s.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		return err
	}
	createDeployment := func(user, ns string, p *corev1.Pod) error {
		_, err := s.client(t, user).AppsV1().Deployments(ns).Create(ctx, deployment("d-"+p.Name, p), metav1.CreateOptions{})
		return err
	}
	updatePod := func(ns, name string, change func(*corev1.Pod)) func() error {
		return func() error {
			p, err := s.cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			change(p)
			_, err = s.cs.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{})
			return err
		}
	}

	cases := []struct {
		name string
		do   func() error
		// code is the wanted status code of the request's error, 0 for success.
		code int32
		want map[string]float64
	}{
		{name: "fully privileged namespace", do: func() error { return createPod("m-plain", privilegedPod("p")) },
			want: map[string]float64{evaluation("allow", "privileged", "latest", "enforce", "create", "pod", ""): 1}},
		{name: "privileged at a pinned version counts as latest", do: func() error { return createPod("m-priv-v130", privilegedPod("p")) },
			want: map[string]float64{evaluation("allow", "privileged", "latest", "enforce", "create", "pod", ""): 1}},
		{name: "enforce allows", do: func() error { return createPod("m-restricted", restrictedPod("ok")) },
			want: map[string]float64{evaluation("allow", "restricted", "latest", "enforce", "create", "pod", ""): 1}},
		{name: "enforce denies without audit or warn", do: func() error { return createPod("m-restricted", privilegedPod("bad")) }, code: 403,
			want: map[string]float64{evaluation("deny", "restricted", "latest", "enforce", "create", "pod", ""): 1}},
		{name: "pinned, future and older versions", do: func() error { return createPod("m-pinned", pod("p")) },
			want: map[string]float64{
				evaluation("allow", "baseline", "v1.30", "enforce", "create", "pod", ""): 1,
				evaluation("deny", "restricted", "future", "audit", "create", "pod", ""): 1,
				evaluation("deny", "restricted", "v1.25", "warn", "create", "pod", ""):   1,
			}},
		{name: "controller is audited and warned, not enforced", do: func() error { return createDeployment("", "m-pinned", pod("p")) },
			want: map[string]float64{
				evaluation("deny", "restricted", "future", "audit", "create", "controller", ""): 1,
				evaluation("deny", "restricted", "v1.25", "warn", "create", "controller", ""):   1,
			}},
		{name: "controller warned at the enforce level when warn is unset",
			do:   func() error { return createDeployment("", "m-restricted", privilegedPod("p")) },
			want: map[string]float64{evaluation("deny", "restricted", "latest", "warn", "create", "controller", ""): 1}},
		{name: "controller in a namespace privileged for audit and warn is not evaluated",
			do: func() error { return createDeployment("", "m-priv-v130", privilegedPod("p")) }},
		{name: "significant pod update", do: updatePod("m-restricted", "ok", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "busybox:2" }),
			want: map[string]float64{evaluation("allow", "restricted", "latest", "enforce", "update", "pod", ""): 1}},
		{name: "insignificant pod update is not evaluated", do: updatePod("m-restricted", "ok", func(p *corev1.Pod) { p.Labels = map[string]string{"x": "y"} })},
		{name: "ephemeral containers subresource", do: func() error {
			p, err := s.cs.CoreV1().Pods("m-restricted").Get(ctx, "ok", metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox",
					SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}})
			_, err = s.cs.CoreV1().Pods("m-restricted").UpdateEphemeralContainers(ctx, "ok", p, metav1.UpdateOptions{})
			return err
		}, code: 403,
			want: map[string]float64{evaluation("deny", "restricted", "latest", "enforce", "update", "pod", "ephemeralcontainers"): 1}},
		{name: "status subresource is ignored", do: func() error {
			p, err := s.cs.CoreV1().Pods("m-restricted").Get(ctx, "ok", metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Status.Message = "m"
			_, err = s.cs.CoreV1().Pods("m-restricted").UpdateStatus(ctx, p, metav1.UpdateOptions{})
			return err
		}},
		{name: "exempt namespace", do: func() error { return createPod("exempt", privilegedPod("p")) },
			want: map[string]float64{exemption("create", "pod", ""): 1}},
		{name: "exempt user", do: func() error { return createDeployment("exempt-user", "m-pinned", privilegedPod("by-user")) },
			want: map[string]float64{exemption("create", "controller", ""): 1}},
		{name: "exempt runtime class", do: func() error {
			p := privilegedPod("kata")
			p.Spec.RuntimeClassName = ptr.To("kata")
			return createPod("m-restricted", p)
		},
			want: map[string]float64{exemption("create", "pod", ""): 1}},
		{name: "invalid labels evaluate restricted, a non-fatal error", do: func() error { return createPod("m-invalid", restrictedPod("p")) },
			want: map[string]float64{
				podSecurityError("false", "create", "pod", ""):                              1,
				evaluation("allow", "restricted", "latest", "enforce", "create", "pod", ""): 1,
			}},
		{name: "invalid labels on a controller", do: func() error { return createDeployment("", "m-invalid", pod("p")) },
			want: map[string]float64{podSecurityError("false", "create", "controller", ""): 1}},
		{name: "missing namespace refuses a pod, a fatal error", do: func() error { return createPod("m-missing", pod("p")) }, code: 500,
			want: map[string]float64{podSecurityError("true", "create", "pod", ""): 1}},
		{name: "missing namespace admits a controller, a fatal error", do: func() error { return createDeployment("", "m-missing", pod("p")) },
			want: map[string]float64{podSecurityError("true", "create", "controller", ""): 1}},
		{name: "namespace writes are not counted", do: func() error {
			ns, err := s.cs.CoreV1().Namespaces().Get(ctx, "m-plain", metav1.GetOptions{})
			if err != nil {
				return err
			}
			ns.Labels = map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}
			_, err = s.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := scrapePodSecurity(t, s)
			err := tc.do()
			if tc.code == 0 && err != nil {
				t.Fatal(err)
			}
			if tc.code != 0 {
				if status := statusCode(err); status != tc.code {
					t.Fatalf("error = %v, want status %d", err, tc.code)
				}
			}
			after, _ := scrapePodSecurity(t, s)
			if got := delta(before, after); !maps.Equal(got, tc.want) {
				t.Errorf("pod_security_* changes:\n%s\nwant:\n%s", formatSeries(got), formatSeries(tc.want))
			}
		})
	}
}

// statusCode is the code of an API status error, 0 for anything else.
func statusCode(err error) int32 {
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		return 0
	}
	return se.ErrStatus.Code
}

func formatSeries(m map[string]float64) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, "  "+k+" "+strconv.FormatFloat(v, 'g', -1, 64))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
