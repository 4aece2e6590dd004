package admission_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

func TestEnabledPlugins(t *testing.T) {
	cases := []struct {
		name             string
		enable, disable  []string
		wantHas, wantNot []string
		wantFirst        string
		err              string
	}{
		{name: "defaults", wantHas: []string{"NamespaceLifecycle", "ResourceQuota", "ServiceAccount"}, wantNot: []string{"AlwaysDeny", "NodeRestriction"}, wantFirst: "NamespaceLifecycle"},
		{name: "enable keeps upstream order", enable: []string{"AlwaysDeny", "NodeRestriction", "AlwaysAdmit"}, wantHas: []string{"AlwaysDeny", "NodeRestriction"}, wantFirst: "AlwaysAdmit"},
		{name: "disable", disable: []string{"ServiceAccount", "ResourceQuota"}, wantNot: []string{"ServiceAccount", "ResourceQuota"}},
		{name: "unknown enable", enable: []string{"Nope"}, err: `enable-admission-plugins plugin "Nope" is unknown`},
		{name: "unknown disable", disable: []string{"Nada"}, err: `disable-admission-plugins plugin "Nada" is unknown`},
		{name: "overlap", enable: []string{"AlwaysDeny"}, disable: []string{"AlwaysDeny"}, err: `[AlwaysDeny] in enable-admission-plugins and disable-admission-plugins overlapped`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := admission.EnabledPlugins(tc.enable, tc.disable)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range tc.wantHas {
				if !slices.Contains(got, n) {
					t.Errorf("%s missing from %v", n, got)
				}
			}
			for _, n := range tc.wantNot {
				if slices.Contains(got, n) {
					t.Errorf("%s in %v", n, got)
				}
			}
			if tc.wantFirst != "" && got[0] != tc.wantFirst {
				t.Errorf("first = %s, want %s", got[0], tc.wantFirst)
			}
			sorted := slices.SortedFunc(slices.Values(got), func(a, b string) int {
				return slices.Index(admission.OrderedPlugins, a) - slices.Index(admission.OrderedPlugins, b)
			})
			if !slices.Equal(got, sorted) {
				t.Errorf("not in upstream order: %v", got)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name, data, err string
	}{
		{"inline", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: ResourceQuota\n  configuration: {}\n", ""},
		{"unknown field", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugin: []\n", "unknown field"},
		{"wrong kind", "apiVersion: apiserver.config.k8s.io/v1\nkind: Other\n", `no kind "Other" is registered`},
		{"no version", "kind: AdmissionConfiguration\n", "Object 'apiVersion' is missing"},
		{"no name", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- path: x\n", "plugins[0].name: Required value"},
		{"garbage", "\x00[", "error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := admission.ParseConfig([]byte(tc.data))
			if tc.err == "" && err != nil {
				t.Fatal(err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// TestUnknownPluginFailsStart checks the server refuses to start on a bad flag.
func TestUnknownPluginFailsStart(t *testing.T) {
	cfg := server.Config{DataDir: t.TempDir()}
	cfg.EnableAdmissionPlugins = []string{"NoSuchPlugin"}
	_, err := server.New(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), `enable-admission-plugins plugin "NoSuchPlugin" is unknown`) {
		t.Fatalf("err = %v", err)
	}
}

// TestAdmissionFlagsAndConfigFile runs a server with AlwaysDeny off, ServiceAccount
// disabled, and ResourceQuota configured from a file by path: limited resources
// need a covering quota.
func TestAdmissionFlagsAndConfigFile(t *testing.T) {
	dir := t.TempDir()
	quotaCfg := "apiVersion: apiserver.config.k8s.io/v1\nkind: ResourceQuotaConfiguration\nlimitedResources:\n- resource: pods\n  matchContains: [requests.cpu]\n"
	if err := os.WriteFile(filepath.Join(dir, "quota.yaml"), []byte(quotaCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	admissionCfg := "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: ResourceQuota\n  path: quota.yaml\n"
	file := filepath.Join(dir, "admission.yaml")
	if err := os.WriteFile(file, []byte(admissionCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cs := start(t, func(c *server.Config) {
		c.DisableAdmissionPlugins = []string{"ServiceAccount"}
		c.AdmissionControlConfigFile = file
	})
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "f"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Run("no service account needed", func(t *testing.T) {
		got, err := cs.CoreV1().Pods("f").Create(ctx, pod("plain"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.ServiceAccountName != "" || len(got.Spec.Volumes) != 0 {
			t.Errorf("service account plugin ran: %q %v", got.Spec.ServiceAccountName, got.Spec.Volumes)
		}
	})
	t.Run("limited resource without quota", func(t *testing.T) {
		_, err := cs.CoreV1().Pods("f").Create(ctx, pod("cpu", withResources(rl("cpu", "1"), nil)), metav1.CreateOptions{})
		wantStatus(t, err, http.StatusForbidden, `pods "cpu" is forbidden: insufficient quota to consume: requests.cpu`)
	})
	t.Run("limited resource with quota", func(t *testing.T) {
		quota(t, cs, "f", "cpu", rl("requests.cpu", "2"))
		if _, err := cs.CoreV1().Pods("f").Create(ctx, pod("cpu2", withResources(rl("cpu", "1"), nil)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAlwaysDenyAndOrder checks AlwaysDeny refuses writes, and that LimitRanger's
// defaults run before ResourceQuota counts (upstream's order).
func TestAlwaysDenyAndOrder(t *testing.T) {
	t.Run("always deny", func(t *testing.T) {
		// No controllers: AlwaysDeny would refuse their writes too.
		in := servertest.StartWith(t, func(c *server.Config) {
			c.EnableAdmissionPlugins = []string{"AlwaysDeny"}
			c.Controllers = []string{}
		})
		cs := clientFor(t, in)
		_, err := cs.CoreV1().ConfigMaps("default").Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
		wantStatus(t, err, http.StatusForbidden, `configmaps "x" is forbidden: admission control is denying all modifications`)
	})
	t.Run("limit ranger before quota", func(t *testing.T) {
		cs := start(t, nil)
		ctx := context.Background()
		namespace(t, cs, "o")
		quota(t, cs, "o", "cpu", rl("requests.cpu", "1"))
		if _, err := cs.CoreV1().LimitRanges("o").Create(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Spec: corev1.LimitRangeSpec{
			Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, DefaultRequest: rl("cpu", "300m")}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.CoreV1().Pods("o").Create(ctx, pod("a"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		q, err := cs.CoreV1().ResourceQuotas("o").Get(ctx, "cpu", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if used := q.Status.Used["requests.cpu"]; used.String() != "300m" {
			t.Fatalf("used = %s, want 300m", used.String())
		}
	})
}
