package conversion

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// hookService is the service name the test certificate is valid for.
const (
	hookServiceName      = "conv"
	hookServiceNamespace = "webhooks"
)

// testCert returns a self-signed certificate for 127.0.0.1 and the test service's
// name, and its PEM.
func testCert(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "conversion webhook"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:              []string{hookServiceName + "." + hookServiceNamespace + ".svc"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
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

// hook is a loopback HTTPS conversion webhook.
type hook struct {
	srv   *httptest.Server
	caPEM []byte
	// calls counts the requests served; objects the objects received.
	calls, objects atomic.Int32
}

func startHook(t testing.TB, h http.Handler) *hook {
	t.Helper()
	cert, caPEM := testCert(t)
	k := &hook{caPEM: caPEM}
	k.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.calls.Add(1)
		h.ServeHTTP(w, r)
	}))
	k.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	// Refused handshakes (the bad CA case) are expected.
	k.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	k.srv.StartTLS()
	t.Cleanup(k.srv.Close)
	return k
}

// tamper changes a correct answer before it is sent; the request is read-only.
type tamper func(req *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse)

// converting answers ConversionReviews of either version by converting Widgets
// between v1 (spec.color) and v2 (spec.colour), then applying tamper.
func converting(t testing.TB, k **hook, tp tamper) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// The v1 and v1beta1 reviews have the same JSON layout.
		var review apiextensionsv1.ConversionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			http.Error(w, "bad review", http.StatusBadRequest)
			return
		}
		if *k != nil {
			(*k).objects.Add(int32(len(review.Request.Objects)))
		}
		resp := &apiextensionsv1.ConversionResponse{UID: review.Request.UID, Result: metav1.Status{Status: metav1.StatusSuccess}}
		for _, raw := range review.Request.Objects {
			var obj map[string]any
			if err := json.Unmarshal(raw.Raw, &obj); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			convertWidget(obj, review.Request.DesiredAPIVersion)
			out, err := json.Marshal(obj)
			if err != nil {
				t.Error(err)
			}
			resp.ConvertedObjects = append(resp.ConvertedObjects, runtime.RawExtension{Raw: out})
		}
		if tp != nil {
			tp(review.Request, resp)
		}
		review.Request, review.Response = nil, resp
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(&review); err != nil {
			t.Error(err)
		}
	}
}

// convertWidget renames spec.color ↔ spec.colour between v1 and v2.
func convertWidget(obj map[string]any, to string) {
	spec, _ := obj["spec"].(map[string]any)
	from, _ := obj["apiVersion"].(string)
	obj["apiVersion"] = to
	if spec == nil || from == to {
		return
	}
	switch to {
	case "stable.example.com/v2":
		if v, ok := spec["color"]; ok {
			spec["colour"] = v
			delete(spec, "color")
		}
	case "stable.example.com/v1":
		if v, ok := spec["colour"]; ok {
			spec["color"] = v
			delete(spec, "colour")
		}
	}
}

// editObject decodes converted object i, lets edit change it and encodes it back.
func editObject(resp *apiextensionsv1.ConversionResponse, i int, edit func(u *unstructured.Unstructured)) {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(resp.ConvertedObjects[i].Raw); err != nil {
		panic(err)
	}
	edit(u)
	raw, err := u.MarshalJSON()
	if err != nil {
		panic(err)
	}
	resp.ConvertedObjects[i].Raw = raw
}
