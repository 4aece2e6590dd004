package pki

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// startServer serves TLS with the bundle's serving cert and, like kube-apiserver's
// x509 authenticator, requires client certificates from the CA; it echoes the
// client's CN and O.
func startServer(t *testing.T, b *Bundle) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := r.TLS.PeerCertificates[0]
		_, _ = io.WriteString(w, peer.Subject.CommonName+"/"+strings.Join(peer.Subject.Organization, ","))
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{b.Serving},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    b.CAPool,
		MinVersion:   tls.VersionTLS12,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestWriteKubeconfig(t *testing.T) {
	b := mustEnsure(t, testConfig(t.TempDir()))
	srv := startServer(t, b)
	path := filepath.Join(t.TempDir(), "nested", "admin.kubeconfig")

	cases := []struct {
		name   string
		server string
	}{
		{"by IP SAN", srv.URL},
		{"by DNS SAN", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := WriteKubeconfig(path, tc.server, b); err != nil {
				t.Fatalf("WriteKubeconfig: %v", err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != keyMode {
				t.Errorf("mode = %v, want %v", fi.Mode(), keyMode)
			}

			raw, err := clientcmd.LoadFromFile(path)
			if err != nil {
				t.Fatalf("LoadFromFile: %v", err)
			}
			if raw.CurrentContext != "kapi" {
				t.Errorf("current-context = %q", raw.CurrentContext)
			}
			kctx := raw.Contexts["kapi"]
			if kctx == nil || kctx.Cluster != "kapi" || kctx.AuthInfo != "kapi-admin" {
				t.Fatalf("context kapi = %+v", kctx)
			}
			if got := raw.Clusters["kapi"].Server; got != tc.server {
				t.Errorf("server = %q, want %q", got, tc.server)
			}

			restCfg, err := clientcmd.NewDefaultClientConfig(*raw, nil).ClientConfig()
			if err != nil {
				t.Fatalf("ClientConfig: %v", err)
			}
			client, err := rest.HTTPClientFor(restCfg)
			if err != nil {
				t.Fatalf("HTTPClientFor: %v", err)
			}
			resp, err := client.Get(tc.server + "/")
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "kubernetes-admin/system:masters" {
				t.Errorf("server saw client %q", body)
			}
		})
	}
}

// The server must reject a client that trusts the CA but presents no certificate,
// so the test above proves the admin cert did the authenticating.
func TestServerRequiresClientCert(t *testing.T) {
	b := mustEnsure(t, testConfig(t.TempDir()))
	srv := startServer(t, b)
	client, err := rest.HTTPClientFor(&rest.Config{
		Host:            srv.URL,
		TLSClientConfig: rest.TLSClientConfig{CAFile: b.CACertFile},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(srv.URL + "/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("request without a client certificate succeeded")
	}
}

func TestWriteKubeconfigErrors(t *testing.T) {
	cases := []struct {
		name string
		b    *Bundle
	}{
		{"nil bundle", nil},
		{"missing files", &Bundle{CACertFile: "/nonexistent/ca.crt"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kubeconfig")
			if err := WriteKubeconfig(path, "https://127.0.0.1:6443", tc.b); err == nil {
				t.Error("WriteKubeconfig succeeded, want an error")
			}
			if _, err := os.Stat(path); err == nil {
				t.Error("a kubeconfig was written despite the error")
			}
		})
	}
}
