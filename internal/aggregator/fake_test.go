package aggregator_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeGroup and fakeVersion are what the fake extension server serves.
const (
	fakeGroup   = "wardle.example.com"
	fakeVersion = "v1alpha1"
)

// The fake's /openapi/v2 names one path of its group version, with one
// definition, and one path of another group that kapi must not take from it.
const (
	fakeV2Path       = "/apis/" + fakeGroup + "/" + fakeVersion + "/namespaces/{namespace}/flunders"
	fakeV2Definition = "com.example.wardle.v1alpha1.FlunderList"
	foreignV2Path    = "/apis/other.example.com/v1/things"
	foreignV2Def     = "com.example.other.v1.ThingList"
)

var fakeOpenAPIV2 = map[string]any{
	"swagger": "2.0",
	"info":    map[string]string{"title": "wardle", "version": "v0"},
	"paths": map[string]any{
		fakeV2Path: map[string]any{"get": map[string]any{
			"operationId": "listWardleV1alpha1NamespacedFlunder",
			"responses": map[string]any{"200": map[string]any{
				"description": "OK", "schema": map[string]string{"$ref": "#/definitions/" + fakeV2Definition}}},
		}},
		foreignV2Path: map[string]any{"get": map[string]any{
			"operationId": "listOtherV1Thing",
			"responses": map[string]any{"200": map[string]any{
				"description": "OK", "schema": map[string]string{"$ref": "#/definitions/" + foreignV2Def}}},
		}},
	},
	"definitions": map[string]any{
		fakeV2Definition: map[string]any{"type": "object", "description": "wardle flunders",
			"properties": map[string]any{"kind": map[string]string{"type": "string"}}},
		foreignV2Def: map[string]any{"type": "object"},
	},
}

// seenRequest is what the fake extension server recorded of a request.
type seenRequest struct {
	Path          string
	User          string
	Groups        []string
	Extra         map[string][]string
	Authorization string
	Impersonate   string
	ClientCN      string
}

// fakeExtension is an extension API server over TLS that requires a client
// certificate of the front proxy CA, as the sample apiserver does.
type fakeExtension struct {
	srv      *httptest.Server
	caBundle []byte

	mu   sync.Mutex // guards seen
	seen []seenRequest
}

func (f *fakeExtension) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// startFakeExtension serves discovery, OpenAPI v2 and v3 and a flunders list whose
// items echo the caller's forwarded identity.
func startFakeExtension(t *testing.T, frontProxyCAFile, serverName string) *fakeExtension {
	t.Helper()
	caPEM, err := os.ReadFile(frontProxyCAFile)
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	if !clientCAs.AppendCertsFromPEM(caPEM) {
		t.Fatal("front proxy CA holds no certificate")
	}
	cert, certPEM := selfSigned(t, serverName)
	f := &fakeExtension{caBundle: certPEM}
	mux := http.NewServeMux()
	gv := fakeGroup + "/" + fakeVersion
	mux.HandleFunc("/apis/"+gv, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: gv,
			APIResources: []metav1.APIResource{{Name: "flunders", SingularName: "flunder", Namespaced: true, Kind: "Flunder", Verbs: []string{"get", "list"}}},
		})
	})
	mux.HandleFunc("/openapi/v3/apis/"+gv, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"openapi": "3.0.0", "info": map[string]string{"title": "wardle", "version": "v0"}, "paths": map[string]any{}})
	})
	mux.HandleFunc("/openapi/v2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, fakeOpenAPIV2)
	})
	mux.HandleFunc("/apis/"+gv+"/namespaces/{ns}/flunders", func(w http.ResponseWriter, r *http.Request) {
		seen := seenRequest{
			Path: r.URL.Path, User: r.Header.Get("X-Remote-User"), Groups: r.Header.Values("X-Remote-Group"),
			Authorization: r.Header.Get("Authorization"), Impersonate: r.Header.Get("Impersonate-User"),
			Extra: map[string][]string{},
		}
		for k, v := range r.Header {
			if len(k) > len("X-Remote-Extra-") && k[:len("X-Remote-Extra-")] == "X-Remote-Extra-" {
				seen.Extra[k[len("X-Remote-Extra-"):]] = v
			}
		}
		if len(r.TLS.PeerCertificates) > 0 {
			seen.ClientCN = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		f.mu.Lock()
		f.seen = append(f.seen, seen)
		f.mu.Unlock()
		writeJSON(w, map[string]any{
			"apiVersion": gv, "kind": "FlunderList", "metadata": map[string]any{"resourceVersion": "1"},
			"items": []any{map[string]any{"apiVersion": gv, "kind": "Flunder",
				"metadata": map[string]any{"name": "seen-by-" + seen.User, "namespace": r.PathValue("ns")}}},
		})
	})
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// selfSigned returns a serving certificate for name and its PEM, the caBundle.
func selfSigned(t *testing.T, name string) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return pair, certPEM
}
