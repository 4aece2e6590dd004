package admission_test

import (
	"bufio"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/audit"
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

// wantWarnings compares the warnings seen since the last take with want, in order.
func (w *warnings) want(t *testing.T, want []string) {
	t.Helper()
	if got := w.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func restrictedPod(name string) *corev1.Pod {
	return pod(name, func(p *corev1.Pod) {
		p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	})
}

func privilegedPod(name string) *corev1.Pod {
	return pod(name, func(p *corev1.Pod) {
		p.Spec.HostNetwork = true
		p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	})
}

// probeHostPod sets a liveness probe host: baseline refuses it from v1.34 on.
func probeHostPod(name string) *corev1.Pod {
	return pod(name, func(p *corev1.Pod) {
		p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
			HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1", Port: intstr.FromInt32(8080)}}}
	})
}

const restrictedViolations = `allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`

const privilegedViolations = `host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)`

// The audit annotations PodSecurity writes.
const (
	annEnforce = "pod-security.kubernetes.io/enforce-policy"
	annAudit   = "pod-security.kubernetes.io/audit-violations"
	annExempt  = "pod-security.kubernetes.io/exempt"
	annError   = "pod-security.kubernetes.io/error"
)

const podSecurityAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources:
  - {group: "", resources: [pods, pods/ephemeralcontainers, namespaces]}
  - {group: apps, resources: [deployments]}
  - {group: batch, resources: [cronjobs]}
- level: None
`

// podSecurityServer is a kapi with PodSecurity configured by psConfig (none when
// empty) and an audit log of pod-security annotations.
type podSecurityServer struct {
	in       *servertest.Instance
	cs       kubernetes.Interface
	warnings *warnings
	ids      *auditIDs
	auditLog string
}

func startPodSecurity(t *testing.T, psConfig string, configure func(*server.Config)) *podSecurityServer {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	s := &podSecurityServer{warnings: &warnings{}, ids: &auditIDs{}, auditLog: filepath.Join(dir, "audit.log")}
	policy := write("audit-policy.yaml", podSecurityAuditPolicy)
	var admissionFile string
	if psConfig != "" {
		admissionFile = write("admission.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n"+indent(psConfig, "    "))
	}
	s.in = servertest.StartWith(t, func(c *server.Config) {
		// PodSecurity judges privileged containers; without this, validation
		// refuses them first, as upstream's does by default.
		c.AllowPrivileged = true
		c.AdmissionControlConfigFile = admissionFile
		c.DisableAdmissionPlugins = []string{"ServiceAccount"}
		c.AuditPolicyFile = policy
		c.AuditLogPath = s.auditLog
		if configure != nil {
			configure(c)
		}
	})
	s.cs = s.client(t, "")
	return s
}

// client is an admin client, impersonating user when not empty.
func (s *podSecurityServer) client(t *testing.T, user string) kubernetes.Interface {
	t.Helper()
	rc := rest.CopyConfig(s.in.Config)
	rc.WarningHandler = s.warnings
	rc.Wrap(func(next http.RoundTripper) http.RoundTripper { return withAuditIDs{ids: s.ids, next: next} })
	if user != "" {
		rc.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:masters"}}
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// auditIDs remembers the Audit-ID of the last request, so the audit log tells
// which event is the request a case made.
type auditIDs struct {
	mu   sync.Mutex
	last string
}

// withAuditIDs gives every request of a client an Audit-ID of its own.
type withAuditIDs struct {
	ids  *auditIDs
	next http.RoundTripper
}

func (w withAuditIDs) RoundTrip(r *http.Request) (*http.Response, error) {
	id := string(uuid.NewUUID())
	r = r.Clone(r.Context())
	r.Header.Set("Audit-ID", id)
	w.ids.mu.Lock()
	w.ids.last = id
	w.ids.mu.Unlock()
	return w.next.RoundTrip(r)
}

func (a *auditIDs) lastID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// annotations returns the pod-security audit annotations of the last request,
// waiting for the audit log to have it.
func (s *podSecurityServer) annotations(t *testing.T) map[string]string {
	t.Helper()
	id := s.ids.lastID()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ev, ok := findAuditEvent(t, s.auditLog, id); ok {
			out := map[string]string{}
			for k, v := range ev.Annotations {
				if strings.HasPrefix(k, "pod-security.kubernetes.io/") {
					out[k] = v
				}
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ResponseComplete audit event for request %s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// findAuditEvent returns the ResponseComplete event of the request id.
func findAuditEvent(t *testing.T, path, id string) (audit.Event, bool) {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return audit.Event{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // a line being written
		}
		if string(e.AuditID) == id && e.Stage == audit.StageResponseComplete {
			return e, true
		}
	}
	return audit.Event{}, false
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// checkResult compares a request's error (403 message or none), warnings and
// pod-security audit annotations with the wanted ones.
func checkResult(t *testing.T, s *podSecurityServer, err error, refused string, warns []string, ann map[string]string) {
	t.Helper()
	if refused != "" {
		wantStatus(t, err, http.StatusForbidden, refused)
	} else if err != nil {
		t.Fatal(err)
	}
	s.warnings.want(t, warns)
	if got := s.annotations(t); !maps.Equal(got, ann) {
		t.Errorf("audit annotations = %v, want %v", got, ann)
	}
}

// TestPodSecurity checks enforce, audit and warn from namespace labels and the
// admission configuration, pinned versions, exemptions, pod controllers and pod
// updates, with upstream's messages.
func TestPodSecurity(t *testing.T) {
	s := startPodSecurity(t, `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults: {enforce: privileged}
exemptions: {namespaces: [exempt], usernames: [exempt-user], runtimeClasses: [kata]}
`, nil)
	ctx := context.Background()
	if _, err := s.cs.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata"}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	namespaces := []struct {
		name     string
		labels   map[string]string
		warnings []string
	}{
		{"enforced", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}, nil},
		{"baseline", map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}, nil},
		{"pinned", map[string]string{"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.33"}, nil},
		{"pinned-old", map[string]string{"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"}, nil},
		{"warned", map[string]string{"pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/warn-version": "v1.30"}, nil},
		{"audited", map[string]string{"pod-security.kubernetes.io/audit": "restricted"}, nil},
		{"plain", nil, nil},
		{"exempt", map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "baseline"},
			[]string{`namespace "exempt" is exempt from Pod Security, and the policy (enforce=restricted:latest, audit=baseline:latest) will be ignored`}},
	}
	t.Run("namespaces", func(t *testing.T) {
		for _, tc := range namespaces {
			t.Run(tc.name, func(t *testing.T) {
				s.warnings.take()
				if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tc.name, Labels: tc.labels}}, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
				s.warnings.want(t, tc.warnings)
			})
		}
	})

	t.Run("pods", func(t *testing.T) {
		cases := []struct {
			name     string
			ns       string
			as       string
			pod      *corev1.Pod
			refused  string
			warnings []string
			ann      map[string]string
		}{
			{name: "restricted pod admitted", ns: "enforced", pod: restrictedPod("ok"),
				ann: map[string]string{annEnforce: "restricted:latest"}},
			{name: "restricted refuses a default pod", ns: "enforced", pod: pod("plain"),
				refused: `pods "plain" is forbidden: violates PodSecurity "restricted:latest": ` + restrictedViolations,
				ann:     map[string]string{annEnforce: "restricted:latest"}},
			{name: "baseline allows what restricted refuses", ns: "baseline", pod: pod("plain"),
				ann: map[string]string{annEnforce: "baseline:latest"}},
			{name: "baseline refuses privileged", ns: "baseline", pod: privilegedPod("priv"),
				refused: `pods "priv" is forbidden: violates PodSecurity "baseline:latest": ` + privilegedViolations,
				ann:     map[string]string{annEnforce: "baseline:latest"}},
			{name: "AppArmor annotation unconfined", ns: "baseline", pod: pod("apparmor-annotation", func(p *corev1.Pod) {
				p.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}
			}),
				refused: `pods "apparmor-annotation" is forbidden: violates PodSecurity "baseline:latest": forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/c="unconfined"")`,
				ann:     map[string]string{annEnforce: "baseline:latest"}},
			{name: "AppArmor profile Unconfined", ns: "baseline", pod: pod("apparmor-field", func(p *corev1.Pod) {
				p.Spec.SecurityContext = &corev1.PodSecurityContext{AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}}
			}),
				refused: `pods "apparmor-field" is forbidden: violates PodSecurity "baseline:latest": forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")`,
				ann:     map[string]string{annEnforce: "baseline:latest"}},
			{name: "SELinux type", ns: "baseline", pod: pod("selinux", func(p *corev1.Pod) {
				p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{SELinuxOptions: &corev1.SELinuxOptions{Type: "spc_t"}}
			}),
				refused: `pods "selinux" is forbidden: violates PodSecurity "baseline:latest": seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t")`,
				ann:     map[string]string{annEnforce: "baseline:latest"}},
			{name: "unsafe sysctl", ns: "baseline", pod: pod("sysctl", func(p *corev1.Pod) {
				p.Spec.SecurityContext = &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "kernel.msgmax", Value: "65536"}}}
			}),
				refused: `pods "sysctl" is forbidden: violates PodSecurity "baseline:latest": forbidden sysctls (kernel.msgmax)`,
				ann:     map[string]string{annEnforce: "baseline:latest"}},
			{name: "probe host allowed at pinned v1.33", ns: "pinned", pod: probeHostPod("probe"),
				ann: map[string]string{annEnforce: "baseline:v1.33"}},
			{name: "probe host refused at latest", ns: "baseline", pod: probeHostPod("probe"),
				refused: `pods "probe" is forbidden: violates PodSecurity "baseline:latest": probe or lifecycle host (container "c" uses probe or lifecycle host "10.0.0.1")`,
				ann:     map[string]string{annEnforce: "baseline:latest"}},
			{name: "SELinux container_engine_t refused at pinned v1.30", ns: "pinned-old", pod: pod("engine", func(p *corev1.Pod) {
				p.Spec.SecurityContext = &corev1.PodSecurityContext{SELinuxOptions: &corev1.SELinuxOptions{Type: "container_engine_t"}}
			}),
				refused: `pods "engine" is forbidden: violates PodSecurity "baseline:v1.30": seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "container_engine_t")`,
				ann:     map[string]string{annEnforce: "baseline:v1.30"}},
			{name: "warn mode warns at its pinned version", ns: "warned", pod: privilegedPod("priv"),
				warnings: []string{`would violate PodSecurity "baseline:v1.30": ` + privilegedViolations},
				ann:      map[string]string{annEnforce: "privileged:latest"}},
			{name: "audit mode annotates", ns: "audited", pod: pod("plain"),
				ann: map[string]string{annEnforce: "privileged:latest", annAudit: `would violate PodSecurity "restricted:latest": ` + restrictedViolations}},
			{name: "unlabelled namespace is privileged", ns: "plain", pod: privilegedPod("priv"),
				ann: map[string]string{annEnforce: "privileged:latest"}},
			{name: "exempt namespace", ns: "exempt", pod: privilegedPod("priv"),
				ann: map[string]string{annExempt: "namespace"}},
			{name: "exempt user", ns: "enforced", as: "exempt-user", pod: privilegedPod("by-exempt-user"),
				ann: map[string]string{annExempt: "user"}},
			{name: "exempt runtime class", ns: "enforced", pod: pod("kata", func(p *corev1.Pod) { p.Spec.RuntimeClassName = ptr.To("kata") }),
				ann: map[string]string{annExempt: "runtimeClass"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.warnings.take()
				_, err := s.client(t, tc.as).CoreV1().Pods(tc.ns).Create(ctx, tc.pod, metav1.CreateOptions{})
				checkResult(t, s, err, tc.refused, tc.warnings, tc.ann)
			})
		}
	})

	t.Run("pod controllers are warned and audited, never refused", func(t *testing.T) {
		template := func(p *corev1.Pod) corev1.PodTemplateSpec {
			return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}}, Spec: p.Spec}
		}
		deployment := func(name string, p *corev1.Pod) *appsv1.Deployment {
			return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}, Template: template(p)}}
		}
		cronJob := func(name string, p *corev1.Pod) *batchv1.CronJob {
			tmpl := template(p)
			tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
			return &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: batchv1.CronJobSpec{Schedule: "* * * * *",
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}}}
		}
		cases := []struct {
			name     string
			ns       string
			create   func() error
			warnings []string
			ann      map[string]string
		}{
			{"deployment warned at the enforce level", "enforced", func() error {
				_, err := s.cs.AppsV1().Deployments("enforced").Create(ctx, deployment("d", pod("x")), metav1.CreateOptions{})
				return err
			}, []string{`would violate PodSecurity "restricted:latest": ` + restrictedViolations}, map[string]string{}},
			{"deployment audited", "audited", func() error {
				_, err := s.cs.AppsV1().Deployments("audited").Create(ctx, deployment("d", pod("x")), metav1.CreateOptions{})
				return err
			}, nil, map[string]string{annAudit: `would violate PodSecurity "restricted:latest": ` + restrictedViolations}},
			{"cronjob template warned", "baseline", func() error {
				_, err := s.cs.BatchV1().CronJobs("baseline").Create(ctx, cronJob("cj", privilegedPod("x")), metav1.CreateOptions{})
				return err
			}, []string{`would violate PodSecurity "baseline:latest": ` + privilegedViolations}, map[string]string{}},
			{"deployment in exempt namespace", "exempt", func() error {
				_, err := s.cs.AppsV1().Deployments("exempt").Create(ctx, deployment("d", privilegedPod("x")), metav1.CreateOptions{})
				return err
			}, nil, map[string]string{annExempt: "namespace"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.warnings.take()
				checkResult(t, s, tc.create(), "", tc.warnings, tc.ann)
			})
		}
	})

	t.Run("pod updates", func(t *testing.T) {
		// A baseline pod in a namespace that then turns restricted.
		if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "updates",
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.cs.CoreV1().Pods("updates").Create(ctx, pod("p"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		debug := func(name string, privileged bool) func(p *corev1.Pod) {
			return func(p *corev1.Pod) {
				p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
					Name: name, Image: "busybox", TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent,
					SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(privileged)}}})
			}
		}
		cases := []struct {
			name    string
			labels  map[string]string // namespace labels before the update, when set
			sub     string
			change  func(p *corev1.Pod)
			refused string
			ann     map[string]string
		}{
			{name: "privileged ephemeral container refused", sub: "ephemeralcontainers", change: debug("debug", true),
				refused: `pods "p" is forbidden: violates PodSecurity "baseline:latest": privileged (container "debug" must not set securityContext.privileged=true)`,
				ann:     map[string]string{annEnforce: "baseline:latest"}},
			{name: "unprivileged ephemeral container admitted", sub: "ephemeralcontainers", change: debug("debug2", false),
				ann: map[string]string{annEnforce: "baseline:latest"}},
			{name: "label change not evaluated", labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
				change: func(p *corev1.Pod) { p.Labels = map[string]string{"touched": "yes"} }, ann: map[string]string{}},
			{name: "image change evaluated", change: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "busybox:2" },
				refused: `pods "p" is forbidden: violates PodSecurity "restricted:latest": ` + strings.ReplaceAll(restrictedViolations, `container "c"`, `containers "c", "debug2"`),
				ann:     map[string]string{annEnforce: "restricted:latest"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.labels != nil {
					ns, err := s.cs.CoreV1().Namespaces().Get(ctx, "updates", metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					ns.Labels = tc.labels
					if _, err := s.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
						t.Fatal(err)
					}
				}
				p, err := s.cs.CoreV1().Pods("updates").Get(ctx, "p", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				tc.change(p)
				s.warnings.take()
				if tc.sub == "" {
					_, err = s.cs.CoreV1().Pods("updates").Update(ctx, p, metav1.UpdateOptions{})
				} else {
					_, err = s.cs.CoreV1().Pods("updates").UpdateEphemeralContainers(ctx, "p", p, metav1.UpdateOptions{})
				}
				checkResult(t, s, err, tc.refused, nil, tc.ann)
			})
		}
	})
}

// TestPodSecurityNamespaceLabels checks that namespace writes with pod-security
// labels that do not parse are refused with upstream's 422.
func TestPodSecurityNamespaceLabels(t *testing.T) {
	s := startPodSecurity(t, "", nil)
	ctx := context.Background()
	if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "valid",
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		ns      string
		create  bool
		labels  map[string]string
		invalid string
	}{
		{"create with a bad level", "bad-level", true, map[string]string{"pod-security.kubernetes.io/enforce": "bogus"},
			`Namespace "bad-level" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "bogus": must be one of privileged, baseline, restricted`},
		{"create with a bad version and a bad warn level", "bad-both", true,
			map[string]string{"pod-security.kubernetes.io/enforce-version": "v2.0", "pod-security.kubernetes.io/warn": "strict"},
			`Namespace "bad-both" is invalid: [metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "v2.0": must be "latest" or "v1.x", metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "strict": must be one of privileged, baseline, restricted]`},
		{"create with valid labels", "good", true, map[string]string{"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "v1.25"}, ""},
		{"update to a bad version", "valid", false, map[string]string{"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "1.30"},
			`Namespace "valid" is invalid: metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.30": must be "latest" or "v1.x"`},
		{"update to valid labels", "valid", false, map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.30"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.create {
				_, err = s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tc.ns, Labels: tc.labels}}, metav1.CreateOptions{})
			} else {
				var ns *corev1.Namespace
				if ns, err = s.cs.CoreV1().Namespaces().Get(ctx, tc.ns, metav1.GetOptions{}); err != nil {
					t.Fatal(err)
				}
				ns.Labels = tc.labels
				_, err = s.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
			}
			if tc.invalid != "" {
				wantStatus(t, err, http.StatusUnprocessableEntity, tc.invalid)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestPodSecurityNamespaceLabelChange warns about existing pods when the enforce
// policy of their namespace tightens, grouping pods with the same reasons.
func TestPodSecurityNamespaceLabelChange(t *testing.T) {
	s := startPodSecurity(t, `apiVersion: pod-security.admission.config.k8s.io/v1beta1
kind: PodSecurityConfiguration
exemptions: {namespaces: [exempt], runtimeClasses: [kata]}
`, nil)
	ctx := context.Background()
	if _, err := s.cs.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata"}, Handler: "kata"}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lab", "exempt"} {
		if _, err := s.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Two pods of one controller (that exists, so the garbage collector keeps them).
	rs, err := s.cs.AppsV1().ReplicaSets("lab").Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs"}, Spec: appsv1.ReplicaSetSpec{
		Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}}, Spec: pod("x").Spec}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}}
	}
	for _, p := range []*corev1.Pod{pod("a"), pod("b", owned), pod("e", owned), restrictedPod("c"),
		pod("d", func(p *corev1.Pod) { p.Spec.HostPID = true }),
		pod("k", func(p *corev1.Pod) { p.Spec.HostPID = true; p.Spec.RuntimeClassName = ptr.To("kata") })} {
		if _, err := s.cs.CoreV1().Pods("lab").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	restrictedReasons := "allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
	cases := []struct {
		name     string
		ns       string
		labels   map[string]string
		warnings []string
	}{
		{"baseline", "lab", map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}, []string{
			`existing pods in namespace "lab" violate the new PodSecurity enforce level "baseline:latest"`,
			`d: host namespaces`,
		}},
		{"tightened to restricted", "lab", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}, []string{
			`existing pods in namespace "lab" violate the new PodSecurity enforce level "restricted:latest"`,
			`a (and 2 other pods): ` + restrictedReasons,
			`d: host namespaces, ` + restrictedReasons,
		}},
		{"relaxed at the same version", "lab", map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}, nil},
		{"version pinned", "lab", map[string]string{"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"}, []string{
			`existing pods in namespace "lab" violate the new PodSecurity enforce level "baseline:v1.30"`,
			`d: host namespaces`,
		}},
		{"privileged", "lab", map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}, nil},
		{"audit only", "lab", map[string]string{"pod-security.kubernetes.io/audit": "restricted"}, nil},
		{"exempt namespace", "exempt", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}, []string{
			`namespace "exempt" is exempt from Pod Security, and the policy (enforce=restricted:latest) will be ignored`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns, err := s.cs.CoreV1().Namespaces().Get(ctx, tc.ns, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ns.Labels = tc.labels
			s.warnings.take()
			if _, err := s.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			s.warnings.want(t, tc.warnings)
		})
	}
}

// TestPodSecurityInvalidLabelsFailClosed checks namespaces whose labels were written
// while PodSecurity was off (by a second server on the same etcd): an invalid
// enforce level enforces restricted, an invalid version latest, an invalid warn
// level warns nothing; the parse error is audited, and the labels may stay as they
// are but not change to other invalid ones.
func TestPodSecurityInvalidLabelsFailClosed(t *testing.T) {
	s := startPodSecurity(t, "", nil)
	unguarded := clientFor(t, servertest.StartWith(t, func(c *server.Config) {
		c.EtcdServers = s.in.Etcd.Endpoints()
		c.AllowPrivileged = true
		c.DisableAdmissionPlugins = []string{"ServiceAccount", "PodSecurity"}
	}))
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{
		"bad-enforce": {"pod-security.kubernetes.io/enforce": "bogus"},
		"bad-version": {"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v9"},
		"bad-warn":    {"pod-security.kubernetes.io/warn": "bogus"},
	} {
		if _, err := unguarded.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	parseError := func(label, value, detail string) string {
		return `Failed to parse policy: metadata.labels[pod-security.kubernetes.io/` + label + `]: Invalid value: "` + value + `": ` + detail
	}
	t.Run("pods", func(t *testing.T) {
		cases := []struct {
			name     string
			ns       string
			pod      *corev1.Pod
			refused  string
			warnings []string
			ann      map[string]string
		}{
			{"bad enforce level enforces restricted", "bad-enforce", pod("plain"),
				`pods "plain" is forbidden: violates PodSecurity "restricted:latest": ` + restrictedViolations, nil,
				map[string]string{annEnforce: "restricted:latest", annError: parseError("enforce", "bogus", "must be one of privileged, baseline, restricted")}},
			{"bad version enforces latest", "bad-version", privilegedPod("priv"),
				`pods "priv" is forbidden: violates PodSecurity "baseline:latest": ` + privilegedViolations, nil,
				map[string]string{annEnforce: "baseline:latest", annError: parseError("enforce-version", "v9", `must be "latest" or "v1.x"`)}},
			{"bad warn level warns nothing", "bad-warn", privilegedPod("priv"), "", nil,
				map[string]string{annEnforce: "privileged:latest", annError: parseError("warn", "bogus", "must be one of privileged, baseline, restricted")}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.warnings.take()
				_, err := s.cs.CoreV1().Pods(tc.ns).Create(ctx, tc.pod, metav1.CreateOptions{})
				checkResult(t, s, err, tc.refused, tc.warnings, tc.ann)
			})
		}
	})
	t.Run("namespace updates", func(t *testing.T) {
		cases := []struct {
			name    string
			labels  map[string]string
			invalid string
		}{
			{"same invalid labels may stay", map[string]string{"pod-security.kubernetes.io/enforce": "bogus", "team": "a"}, ""},
			{"other invalid labels are refused", map[string]string{"pod-security.kubernetes.io/enforce": "bogus2"},
				`Namespace "bad-enforce" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "bogus2": must be one of privileged, baseline, restricted`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ns, err := s.cs.CoreV1().Namespaces().Get(ctx, "bad-enforce", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				ns.Labels = tc.labels
				_, err = s.cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
				if tc.invalid != "" {
					wantStatus(t, err, http.StatusUnprocessableEntity, tc.invalid)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}
