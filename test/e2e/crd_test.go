package e2e

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// widgetCRD is a namespaced CRD with status and scale, printer columns, a CEL rule
// and defaults, in the group and plural given.
func widgetCRD(group, plural, kind string) string {
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[2]s.%[1]s
spec:
  group: %[1]s
  scope: Namespaced
  names: {plural: %[2]s, singular: %[4]s, kind: %[3]s, shortNames: [%[4]sx]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: string, enum: [small, large], default: small}
              replicas: {type: integer, minimum: 0}
            x-kubernetes-validations:
            - rule: "self.size != 'large' || self.replicas <= 3"
              message: large widgets run at most 3 replicas
          status:
            type: object
            properties:
              replicas: {type: integer}
`, group, plural, kind, strings.ToLower(kind))
}

// TestKubectlCustomResources drives a CRD through kubectl: apply, Established,
// create, get with printer columns and short names, explain, patch, scale, server-side
// apply, schema and CEL rejections, and deletion of the CRD with its instances.
func TestKubectlCustomResources(t *testing.T) {
	k := newKubectl(t, shared)
	ns := testNamespace(t, "crd")
	group := "e2e" + randSuffix() + ".example.com"
	run := func(stdin string, args ...string) kubectlResult { return k.run(t, stdin, args...) }
	if r := run(widgetCRD(group, "widgets", "Widget"), "apply", "-f", "-"); r.err != nil {
		t.Fatalf("apply CRD: %v %s", r.err, r.stderr)
	}
	waitEstablished(t, k, "crd/widgets."+group)

	w := fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata: {name: w1, namespace: %s}\nspec: {replicas: 2, junk: 1}\n", group, ns)
	// Without client-side validation the unknown field reaches the server, which
	// prunes it.
	if r := run(w, "apply", "--validate=false", "-f", "-"); r.err != nil {
		t.Fatalf("apply widget: %v %s", r.err, r.stderr)
	}
	out := k.ok(t, "get", "widgets."+group, "-n", ns)
	if !strings.Contains(out, "SIZE") || !strings.Contains(out, "REPLICAS") || !strings.Contains(out, "small") {
		t.Errorf("kubectl get columns:\n%s", out)
	}
	if out := k.ok(t, "get", "widgetx", "w1", "-n", ns, "-o", "jsonpath={.spec}"); strings.Contains(out, "junk") || !strings.Contains(out, `"size":"small"`) {
		t.Errorf("pruning/defaulting visible on read: %s", out)
	}
	if out := k.ok(t, "explain", "widgets."+group+".spec"); !strings.Contains(out, "replicas") || !strings.Contains(out, "size") {
		t.Errorf("explain:\n%s", out)
	}
	k.ok(t, "patch", "widget.v1."+group, "w1", "-n", ns, "--type=merge", "-p", `{"spec":{"size":"large"}}`)
	k.ok(t, "scale", "widgets."+group+"/w1", "-n", ns, "--replicas=3")
	if out := k.ok(t, "get", "widgets."+group, "w1", "-n", ns, "-o", "jsonpath={.spec.replicas}"); out != "3" {
		t.Errorf("replicas after scale = %q", out)
	}
	r := run("", "scale", "widgets."+group+"/w1", "-n", ns, "--replicas=4")
	if r.err == nil || !strings.Contains(r.stderr, "large widgets run at most 3 replicas") {
		t.Errorf("CEL rule through scale: %v %s", r.err, r.stderr)
	}
	bad := fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata: {name: w2, namespace: %s}\nspec: {size: huge}\n", group, ns)
	r = run(bad, "create", "-f", "-")
	if r.err == nil || !strings.Contains(r.stderr, `spec.size: Unsupported value: "huge": supported values: "small", "large"`) {
		t.Errorf("enum rejection: %v %s", r.err, r.stderr)
	}
	r = run(strings.Replace(w, "w1", "w3", 1), "create", "--validate=strict", "-f", "-")
	if r.err == nil || !strings.Contains(r.stderr, "junk") {
		t.Errorf("strict validation of an unknown field: %v %s", r.err, r.stderr)
	}
	ssa := fmt.Sprintf("apiVersion: %s/v1\nkind: Widget\nmetadata: {name: w4, namespace: %s}\nspec: {replicas: 1}\n", group, ns)
	if r := run(ssa, "apply", "--server-side", "-f", "-"); r.err != nil {
		t.Fatalf("server-side apply: %v %s", r.err, r.stderr)
	}

	k.ok(t, "delete", "crd", "widgets."+group, "--wait=true", "--timeout=30s")
	if r := run("", "get", "widgets."+group, "-n", ns); r.err == nil {
		t.Errorf("widgets still served after CRD deletion: %s", r.stdout)
	}
	if r := run(widgetCRD(group, "widgets", "Widget"), "apply", "-f", "-"); r.err != nil {
		t.Fatal(r.stderr)
	}
	waitEstablished(t, k, "crd/widgets."+group)
	eventually(t, 10*time.Second, "an empty collection after recreating the CRD", func() error {
		r := run("", "get", "widgets."+group, "-n", ns, "-o", "name")
		if r.err != nil || strings.TrimSpace(r.stdout) != "" {
			return fmt.Errorf("%v %q %s", r.err, r.stdout, r.stderr)
		}
		return nil
	})
	k.ok(t, "delete", "crd", "widgets."+group)
}

// TestCustomResourcesInNamespaceDeletion: deleting a namespace deletes its custom
// resources too (the built-in namespace controller discovers them).
func TestCustomResourcesInNamespaceDeletion(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, time.Minute)
	k := newKubectl(t, shared)
	group := "nsdel" + randSuffix() + ".example.com"
	if r := k.run(t, widgetCRD(group, "gadgets", "Gadget"), "apply", "-f", "-"); r.err != nil {
		t.Fatal(r.stderr)
	}
	waitEstablished(t, k, "crd/gadgets."+group)
	defer k.run(t, "", "delete", "crd", "gadgets."+group)
	ns := "crd-ns-" + randSuffix()
	createNamespace(t, c, cs, ns)
	dyn := dynamic.NewForConfigOrDie(shared.restConfig(t))
	gvr := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "gadgets"}
	for i := range 20 {
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": group + "/v1", "kind": "Gadget",
			"metadata": map[string]any{"name": "g" + strconv.Itoa(i)}, "spec": map[string]any{}}}
		if _, err := dyn.Resource(gvr).Namespace(ns).Create(c, obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cs.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	took := waitNamespaceGone(t, c, cs, ns, 45*time.Second)
	t.Logf("namespace with 20 custom resources gone after %v", took)
	list, err := dyn.Resource(gvr).Namespace(ns).List(c, metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("custom resources left after namespace deletion: %v %v", list, err)
	}
}

// TestCustomResourceConversionWebhook serves a two-version CRD whose conversion
// webhook runs on loopback: v1 stores spec.hostPort "host:port", v2 splits it.
func TestCustomResourceConversionWebhook(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(convertHostPort))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	defer srv.Close()
	caBundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	group := "conv" + randSuffix() + ".example.com"
	crd := fmt.Sprintf(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
"metadata":{"name":"servers.%[1]s"},
"spec":{"group":"%[1]s","scope":"Namespaced","names":{"plural":"servers","singular":"server","kind":"Server"},
"conversion":{"strategy":"Webhook","webhook":{"conversionReviewVersions":["v1"],"clientConfig":{"url":"%[2]s/convert","caBundle":"%[3]s"}}},
"versions":[
{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"hostPort":{"type":"string"}}}}}}},
{"name":"v2","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"host":{"type":"string"},"port":{"type":"string"}}}}}}}]}}`,
		group, srv.URL, base64.StdEncoding.EncodeToString(caBundle))
	k := newKubectl(t, shared)
	if r := k.run(t, crd, "apply", "-f", "-"); r.err != nil {
		t.Fatal(r.stderr)
	}
	defer k.run(t, "", "delete", "crd", "servers."+group)
	waitEstablished(t, k, "crd/servers."+group)
	ns := testNamespace(t, "conv")
	dyn := dynamic.NewForConfigOrDie(shared.restConfig(t))
	c := ctx(t, time.Minute)
	v1 := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "servers"}
	v2 := v1
	v2.Version = "v2"
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": group + "/v2", "kind": "Server",
		"metadata": map[string]any{"name": "s1"}, "spec": map[string]any{"host": "localhost", "port": "8080"}}}
	if _, err := dyn.Resource(v2).Namespace(ns).Create(c, obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := dyn.Resource(v1).Namespace(ns).Get(c, "s1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if hp, _, _ := unstructured.NestedString(got.Object, "spec", "hostPort"); hp != "localhost:8080" {
		t.Errorf("v1 view: %v", got.Object)
	}
	list, err := dyn.Resource(v2).Namespace(ns).List(c, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("v2 list: %v %v", list, err)
	}
	if port, _, _ := unstructured.NestedString(list.Items[0].Object, "spec", "port"); port != "8080" {
		t.Errorf("v2 list item: %v", list.Items[0].Object)
	}
}

// convertHostPort is the conversion webhook of TestCustomResourceConversionWebhook.
func convertHostPort(w http.ResponseWriter, r *http.Request) {
	var review apiextensionsv1.ConversionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	resp := &apiextensionsv1.ConversionResponse{UID: review.Request.UID, Result: metav1.Status{Status: metav1.StatusSuccess}}
	for _, raw := range review.Request.Objects {
		var obj map[string]any
		_ = json.Unmarshal(raw.Raw, &obj)
		spec, _ := obj["spec"].(map[string]any)
		if spec == nil {
			spec = map[string]any{}
		}
		group := strings.SplitN(obj["apiVersion"].(string), "/", 2)[0]
		switch review.Request.DesiredAPIVersion {
		case group + "/v1":
			spec = map[string]any{"hostPort": fmt.Sprintf("%v:%v", spec["host"], spec["port"])}
		default:
			hp, _ := spec["hostPort"].(string)
			host, port, _ := strings.Cut(hp, ":")
			spec = map[string]any{"host": host, "port": port}
		}
		obj["spec"] = spec
		obj["apiVersion"] = review.Request.DesiredAPIVersion
		data, _ := json.Marshal(obj)
		resp.ConvertedObjects = append(resp.ConvertedObjects, runtime.RawExtension{Raw: data})
	}
	review.Response = resp
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&review)
}

// TestCustomResourceDefinitionCost registers 100 small CRDs on a fresh kapi and
// reports the time until the last is Established and served, and the RSS growth per
// CRD.
func TestCustomResourceDefinitionCost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own server")
	}
	s, err := startKapi(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	dyn := dynamic.NewForConfigOrDie(s.restConfig(t))
	c := ctx(t, 2*time.Minute)
	crdGVR := apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")
	time.Sleep(2 * time.Second) // let start-up settle before the baseline
	before := rssOf(t, s.cmd.Process.Pid)
	const n = 100
	start := time.Now()
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		crd := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": map[string]any{"name": name + "s.cost.example.com"},
			"spec": map[string]any{"group": "cost.example.com", "scope": "Namespaced",
				"names": map[string]any{"plural": name + "s", "singular": name, "kind": "C" + strconv.Itoa(i)},
				"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
					"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "properties": map[string]any{
						"spec": map[string]any{"type": "object", "properties": map[string]any{
							"a": map[string]any{"type": "string"}, "b": map[string]any{"type": "integer"}}}}}}}}}}}
		if _, err := dyn.Resource(crdGVR).Create(c, crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	last := schema.GroupVersionResource{Group: "cost.example.com", Version: "v1", Resource: fmt.Sprintf("c%ds", n-1)}
	eventually(t, 30*time.Second, "the last CRD served", func() error {
		_, err := dyn.Resource(last).Namespace("default").List(c, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			return err
		}
		return err
	})
	took := time.Since(start)
	time.Sleep(time.Second)
	after := rssOf(t, s.cmd.Process.Pid)
	perCRD := float64(after-before) / n / (1 << 20)
	t.Logf("%d CRDs: last served %v after the first create; RSS %d MiB -> %d MiB, %.2f MiB per CRD",
		n, took.Round(time.Millisecond), before>>20, after>>20, perCRD)
	if took > 20*time.Second {
		t.Errorf("registering %d CRDs took %v", n, took)
	}
}

// rssOf reads a process's resident set size in bytes.
func rssOf(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("VmRSS missing")
	return 0
}

// waitEstablished waits for a CRD's Established condition. kubectl 1.32's wait fails
// at once, instead of waiting, on a CRD whose status.conditions is still null (its
// first moment after the create, before the controller's first status write; the
// same with kube-apiserver), so a failed wait is tried again.
func waitEstablished(t *testing.T, k *kubectlRunner, crd string) {
	t.Helper()
	eventually(t, 20*time.Second, crd+" Established", func() error {
		if r := k.run(t, "", "wait", "--for=condition=Established", "--timeout=10s", crd); r.err != nil {
			return fmt.Errorf("%v %s", r.err, r.stderr)
		}
		return nil
	})
}
