package webhook

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func writeKubeconfig(t *testing.T, users map[string]*clientcmdapi.AuthInfo) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.AuthInfos = users
	cfg.Contexts["default"] = &clientcmdapi.Context{AuthInfo: "fallback", Cluster: "x"}
	cfg.Clusters["x"] = &clientcmdapi.Cluster{Server: "https://unused"}
	cfg.CurrentContext = "default"
	dir := t.TempDir()
	if err := clientcmd.WriteToFile(*cfg, filepath.Join(dir, "webhooks.kubeconfig")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCredentialsForTarget(t *testing.T) {
	dir := writeKubeconfig(t, map[string]*clientcmdapi.AuthInfo{
		"hook.ns.svc:8443": {Token: "exact"},
		"*.ns.svc":         {Token: "wildcard"},
		"plain.example":    {Token: "no-port"},
		"fallback":         {Token: "current"},
	})
	creds, err := LoadCredentials([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: WebhookAdmissionConfiguration\nkubeConfigFile: webhooks.kubeconfig\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, target, want string }{
		{"exact host and port", "hook.ns.svc:8443", "hook.ns.svc:8443"},
		{"wildcard suffix", "other.ns.svc:443", "*.ns.svc"},
		{"default port dropped", "plain.example:443", "plain.example"},
		{"current context user", "elsewhere:9000", "fallback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := creds.forTarget(tc.target); got != tc.want {
				t.Errorf("user %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWebhookAuthentication(t *testing.T) {
	var got string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		startHookServerHandler(w, r)
	}))
	t.Cleanup(srv.Close)
	host := srv.Listener.Addr().String()
	dir := writeKubeconfig(t, map[string]*clientcmdapi.AuthInfo{host: {Token: "webhook-token"}})
	creds, err := LoadCredentials([]byte(`{"kind":"WebhookAdmissionConfiguration","kubeConfigFile":"`+filepath.Join(dir, "webhooks.kubeconfig")+`"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		creds *Credentials
		want  string
	}{
		{"kubeconfig token is sent", creds, "Bearer webhook-token"},
		{"no configuration calls anonymously", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = "unset"
			p := &plugin{cfg: Config{Credentials: tc.creds}}
			u := srv.URL + "/"
			h := &hook{name: "auth", sideEffects: ptr(admissionregistrationv1.SideEffectClassNone), timeout: time.Second, reviewVersions: []string{"v1"},
				clientConfig: admissionregistrationv1.WebhookClientConfig{URL: &u, CABundle: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}}
			a := &endpoints.Attributes{Operation: "CREATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"},
				Kind: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}}
			if _, err := p.call(context.Background(), &invocation{hook: h, kind: a.Kind, gvr: a.Resource}, newAttempt(context.Background(), a)); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Authorization %q, want %q", got, tc.want)
			}
		})
	}
}

// startHookServerHandler answers any review with allowed.
func startHookServerHandler(w http.ResponseWriter, r *http.Request) {
	(&hookServer{calls: map[string][]*admissionv1.AdmissionRequest{}}).serve(w, r)
}
