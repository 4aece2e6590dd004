package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestResponseCompression: as kube-apiserver's, large LIST responses are gzipped
// for clients that accept it, small ones and other clients get them as they are,
// and client-go (which asks for gzip) reads the same list either way.
func TestResponseCompression(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, 60*time.Second)
	ns := testNamespace(t, "gzip")
	value := strings.Repeat("compressible ", 100)
	for i := range 200 { // about 260 KiB of JSON
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%03d", i)}, Data: map[string]string{"v": value},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := rest.CopyConfig(shared.restConfig(t))
	cfg.DisableCompression = true // the raw responses, not the transport's transparent decoding
	raw, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, encoding string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(c, http.MethodGet, cfg.Host+path, nil)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	listPath := "/api/v1/namespaces/" + ns + "/configmaps"
	resp, zipped := get(listPath, "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("list with Accept-Encoding: gzip: headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	resp, plain := get(listPath, "identity")
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("list with Accept-Encoding: identity has Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	var a, b corev1.ConfigMapList
	if err := json.Unmarshal(unzipped, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(plain, &b); err != nil {
		t.Fatal(err)
	}
	// 200 and the namespace's kube-root-ca.crt.
	if len(a.Items) != 201 || len(b.Items) != 201 || len(zipped)*5 > len(plain) {
		t.Errorf("items %d gzipped, %d plain; %d bytes gzipped of %d", len(a.Items), len(b.Items), len(zipped), len(plain))
	}
	if resp, _ := get(listPath+"/cm-000", "gzip"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("a small object was compressed: %v", resp.Header)
	}
	list, err := cs.CoreV1().ConfigMaps(ns).List(c, metav1.ListOptions{})
	if err != nil || len(list.Items) != 201 {
		t.Fatalf("client-go list: %v, %d items", err, len(list.Items))
	}
}
