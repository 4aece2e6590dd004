package builtin_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"slices"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// platformPEM returns a PEM CSR and a PEM self-signed CA certificate.
func platformPEM(t *testing.T) (csr, ca string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: time.Now(),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}))
}

type platformCase struct {
	gvr        schema.GroupVersionResource
	namespaced bool
	valid      map[string]any // without apiVersion, kind and metadata
	kind       string
	// invalid mutates a copy of valid into an object that must get 422 with a cause
	// on field.
	invalid func(obj map[string]any)
	field   string
}

func platformCases(csrPEM, caPEM string) []platformCase {
	ar := func(res string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: res}
	}
	webhook := func() map[string]any {
		return map[string]any{
			"name":                    "hook.example.com",
			"clientConfig":            map[string]any{"url": "https://example.com/hook"},
			"sideEffects":             "None",
			"admissionReviewVersions": []any{"v1"},
			"rules": []any{map[string]any{"operations": []any{"CREATE"}, "apiGroups": []any{""},
				"apiVersions": []any{"v1"}, "resources": []any{"pods"}}},
		}
	}
	match := map[string]any{"resourceRules": []any{map[string]any{"operations": []any{"CREATE"}, "apiGroups": []any{""},
		"apiVersions": []any{"v1"}, "resources": []any{"pods"}}}}
	claimSpec := map[string]any{"devices": map[string]any{"requests": []any{
		map[string]any{"name": "gpu", "exactly": map[string]any{"deviceClassName": "gpu.example.com"}}}}}
	return []platformCase{
		{
			gvr: schema.GroupVersionResource{Group: "certificates.k8s.io", Version: "v1", Resource: "certificatesigningrequests"}, kind: "CertificateSigningRequest",
			valid: map[string]any{"spec": map[string]any{"request": []byte(csrPEM), "signerName": "example.com/signer", "usages": []any{"client auth"}}},
			invalid: func(o map[string]any) {
				o["spec"].(map[string]any)["request"] = []byte("not pem")
			},
			field: "spec.request",
		},
		{
			gvr: schema.GroupVersionResource{Group: "certificates.k8s.io", Version: "v1", Resource: "clustertrustbundles"}, kind: "ClusterTrustBundle",
			valid:   map[string]any{"spec": map[string]any{"trustBundle": caPEM}},
			invalid: func(o map[string]any) { o["spec"].(map[string]any)["trustBundle"] = "" },
			field:   "spec.trustBundle",
		},
		{
			gvr: schema.GroupVersionResource{Group: "certificates.k8s.io", Version: "v1", Resource: "podcertificaterequests"}, kind: "PodCertificateRequest", namespaced: true,
			valid: map[string]any{"spec": map[string]any{"signerName": "example.com/signer", "podName": "p", "podUID": "u1",
				"serviceAccountName": "default", "serviceAccountUID": "u2", "nodeName": "n", "nodeUID": "u3",
				"stubPKCS10Request": []byte(csrPEM)}},
			invalid: func(o map[string]any) { o["spec"].(map[string]any)["signerName"] = "no-slash" },
			field:   "spec.signerName",
		},
		{
			gvr: ar("validatingwebhookconfigurations"), kind: "ValidatingWebhookConfiguration",
			valid:   map[string]any{"webhooks": []any{webhook()}},
			invalid: func(o map[string]any) { o["webhooks"].([]any)[0].(map[string]any)["name"] = "hook" },
			field:   "webhooks[0].name",
		},
		{
			gvr: ar("mutatingwebhookconfigurations"), kind: "MutatingWebhookConfiguration",
			valid:   map[string]any{"webhooks": []any{webhook()}},
			invalid: func(o map[string]any) { delete(o["webhooks"].([]any)[0].(map[string]any), "sideEffects") },
			field:   "webhooks[0].sideEffects",
		},
		{
			gvr: ar("validatingadmissionpolicies"), kind: "ValidatingAdmissionPolicy",
			valid:   map[string]any{"spec": map[string]any{"matchConstraints": match, "validations": []any{map[string]any{"expression": "true"}}}},
			invalid: func(o map[string]any) { delete(o["spec"].(map[string]any), "validations") },
			field:   "spec.validations",
		},
		{
			gvr: ar("validatingadmissionpolicybindings"), kind: "ValidatingAdmissionPolicyBinding",
			valid:   map[string]any{"spec": map[string]any{"policyName": "p", "validationActions": []any{"Deny"}}},
			invalid: func(o map[string]any) { o["spec"].(map[string]any)["validationActions"] = []any{"Deny", "Warn"} },
			field:   "spec.validationActions",
		},
		{
			gvr: ar("mutatingadmissionpolicies"), kind: "MutatingAdmissionPolicy",
			valid: map[string]any{"spec": map[string]any{"matchConstraints": match, "reinvocationPolicy": "Never",
				"mutations": []any{map[string]any{"patchType": "JSONPatch", "jsonPatch": map[string]any{"expression": "[]"}}}}},
			invalid: func(o map[string]any) { delete(o["spec"].(map[string]any), "reinvocationPolicy") },
			field:   "spec.reinvocationPolicy",
		},
		{
			gvr: ar("mutatingadmissionpolicybindings"), kind: "MutatingAdmissionPolicyBinding",
			valid:   map[string]any{"spec": map[string]any{"policyName": "p"}},
			invalid: func(o map[string]any) { o["spec"].(map[string]any)["policyName"] = "" },
			field:   "spec.policyName",
		},
		{
			gvr: schema.GroupVersionResource{Group: "flowcontrol.apiserver.k8s.io", Version: "v1", Resource: "flowschemas"}, kind: "FlowSchema",
			valid:   map[string]any{"spec": map[string]any{"priorityLevelConfiguration": map[string]any{"name": "global-default"}}},
			invalid: func(o map[string]any) { o["spec"].(map[string]any)["matchingPrecedence"] = int64(20000) },
			field:   "spec.matchingPrecedence",
		},
		{
			gvr: schema.GroupVersionResource{Group: "flowcontrol.apiserver.k8s.io", Version: "v1", Resource: "prioritylevelconfigurations"}, kind: "PriorityLevelConfiguration",
			valid: map[string]any{"spec": map[string]any{"type": "Limited", "limited": map[string]any{
				"limitResponse": map[string]any{"type": "Queue", "queuing": map[string]any{}}}}},
			invalid: func(o map[string]any) { o["spec"].(map[string]any)["type"] = "Exempt" },
			field:   "spec.type",
		},
		{
			gvr: schema.GroupVersionResource{Group: "storagemigration.k8s.io", Version: "v1", Resource: "storageversionmigrations"}, kind: "StorageVersionMigration",
			valid:   map[string]any{"spec": map[string]any{"resource": map[string]any{"group": "apps", "resource": "deployments"}}},
			invalid: func(o map[string]any) {},
			field:   "metadata.name",
		},
		{
			gvr: schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1", Resource: "deviceclasses"}, kind: "DeviceClass",
			valid:   map[string]any{"spec": map[string]any{}},
			invalid: func(o map[string]any) { o["spec"] = map[string]any{"selectors": []any{map[string]any{}}} },
			field:   "spec.selectors[0].cel",
		},
		{
			gvr: schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1", Resource: "devicetaintrules"}, kind: "DeviceTaintRule",
			valid:   map[string]any{"spec": map[string]any{"taint": map[string]any{"key": "example.com/broken", "effect": "NoSchedule"}}},
			invalid: func(o map[string]any) { o["spec"].(map[string]any)["taint"].(map[string]any)["effect"] = "Sometimes" },
			field:   "spec.taint.effect",
		},
		{
			gvr: schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1", Resource: "resourceclaims"}, kind: "ResourceClaim", namespaced: true,
			valid: map[string]any{"spec": claimSpec},
			invalid: func(o map[string]any) {
				o["spec"] = map[string]any{"devices": map[string]any{"requests": []any{map[string]any{"name": "gpu"}}}}
			},
			field: "spec.devices.requests[0]",
		},
		{
			gvr: schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1", Resource: "resourceclaimtemplates"}, kind: "ResourceClaimTemplate", namespaced: true,
			valid: map[string]any{"spec": map[string]any{"spec": claimSpec}},
			invalid: func(o map[string]any) {
				o["spec"] = map[string]any{"spec": map[string]any{"devices": map[string]any{"requests": []any{map[string]any{"name": "Bad_Name", "exactly": map[string]any{"deviceClassName": "c"}}}}}}
			},
			field: "spec.spec.devices.requests[0].name",
		},
		{
			gvr: schema.GroupVersionResource{Group: "resource.k8s.io", Version: "v1", Resource: "resourceslices"}, kind: "ResourceSlice",
			valid: map[string]any{"spec": map[string]any{"driver": "gpu.example.com", "nodeName": "n1",
				"pool": map[string]any{"name": "p", "resourceSliceCount": int64(1)}}},
			invalid: func(o map[string]any) { delete(o["spec"].(map[string]any), "nodeName") },
			field:   "spec",
		},
	}
}

// platformObject builds the unstructured object of a case; base64 for []byte.
func platformObject(t *testing.T, c platformCase, name string, body map[string]any) *unstructured.Unstructured {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = c.gvr.GroupVersion().String(), c.kind
	meta := map[string]any{"name": name}
	if c.namespaced {
		meta["namespace"] = "default"
	}
	m["metadata"] = meta
	return &unstructured.Unstructured{Object: m}
}

func deepCopyMap(t *testing.T, in map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlatformResources drives every certificates, admissionregistration,
// flowcontrol, storagemigration and resource.k8s.io resource through the whole
// stack: CRUD, a rejected create, discovery and the etcd key.
func TestPlatformResources(t *testing.T) {
	in := servertest.Start(t)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	disco := kubernetes.NewForConfigOrDie(in.Config).Discovery()
	ctx := context.Background()
	csrPEM, caPEM := platformPEM(t)
	for _, c := range platformCases(csrPEM, caPEM) {
		t.Run(c.gvr.Resource, func(t *testing.T) {
			var ri dynamic.ResourceInterface = dyn.Resource(c.gvr)
			if c.namespaced {
				ri = dyn.Resource(c.gvr).Namespace("default")
			}
			name := "x-" + c.gvr.Resource
			_, err := ri.Create(ctx, platformObject(t, c, name, c.valid), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if _, err := ri.Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Fatalf("get: %v", err)
			}
			// Flow control lists hold the bootstrap objects too: select the one created.
			list, err := ri.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
			if err != nil || len(list.Items) != 1 {
				t.Fatalf("list: %v, %d items", err, len(list.Items))
			}
			// Controllers may write the object meanwhile (flow control sets a
			// FlowSchema's status): update the latest version.
			var updated *unstructured.Unstructured
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				cur, err := ri.Get(ctx, name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				cur.SetAnnotations(map[string]string{"updated": "yes"})
				updated, err = ri.Update(ctx, cur, metav1.UpdateOptions{})
				return err
			})
			if err != nil || updated.GetAnnotations()["updated"] != "yes" {
				t.Fatalf("update: %v", err)
			}
			patched, err := ri.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"labels":{"patched":"yes"}}}`), metav1.PatchOptions{})
			if err != nil || patched.GetLabels()["patched"] != "yes" {
				t.Fatalf("patch: %v", err)
			}
			key := "/registry/" + c.gvr.Resource + "/" + name
			if c.namespaced {
				key = "/registry/" + c.gvr.Resource + "/default/" + name
			}
			if resp, err := in.Etcd.Get(ctx, key); err != nil || len(resp.Kvs) != 1 {
				t.Errorf("etcd key %s: %v", key, err)
			}
			if err := ri.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if _, err := ri.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("get after delete: %v", err)
			}

			bad := deepCopyMap(t, c.valid)
			c.invalid(bad)
			badName := "bad-" + c.gvr.Resource
			if c.gvr.Resource == "storageversionmigrations" {
				badName = "Bad_Name"
			}
			_, err = ri.Create(ctx, platformObject(t, c, badName, bad), metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) {
				t.Fatalf("invalid create: %v, want 422", err)
			}
			var causes []string
			if st, ok := err.(apierrors.APIStatus); ok && st.Status().Details != nil {
				for _, cause := range st.Status().Details.Causes {
					causes = append(causes, cause.Field)
				}
			}
			if !slices.Contains(causes, c.field) {
				t.Errorf("invalid create causes %v, want one on %s (%v)", causes, c.field, err)
			}
		})
	}

	t.Run("discovery", func(t *testing.T) {
		for _, gv := range []string{"certificates.k8s.io/v1", "admissionregistration.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1",
			"storagemigration.k8s.io/v1", "resource.k8s.io/v1"} {
			got, err := disco.ServerResourcesForGroupVersion(gv)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile("/work/shared/reference/discovery/apis_" + replaceDots(gv) + ".json")
			if err != nil {
				t.Skipf("reference discovery not available: %v", err)
			}
			var want metav1.APIResourceList
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			for _, w := range want.APIResources {
				i := slices.IndexFunc(got.APIResources, func(r metav1.APIResource) bool { return r.Name == w.Name })
				if i < 0 {
					t.Errorf("%s: %s missing", gv, w.Name)
					continue
				}
				g := got.APIResources[i]
				if g.SingularName != w.SingularName || g.Namespaced != w.Namespaced || g.Kind != w.Kind ||
					!slices.Equal(g.Verbs, w.Verbs) || !slices.Equal(g.ShortNames, w.ShortNames) || !slices.Equal(g.Categories, w.Categories) {
					t.Errorf("%s %s:\n got %+v\nwant %+v", gv, w.Name, g, w)
				}
				if g.StorageVersionHash != w.StorageVersionHash && !platformKnownStorageDiff[w.Name] {
					t.Errorf("%s %s: storageVersionHash %q, want %q", gv, w.Name, g.StorageVersionHash, w.StorageVersionHash)
				}
			}
		}
	})
}

// platformKnownStorageDiff are resources upstream stores in an older version than
// kapi's scheme registers (v1beta1/v1beta2), so kapi stores them as v1.
var platformKnownStorageDiff = map[string]bool{}

func replaceDots(gv string) string {
	out := []rune{}
	for _, r := range gv {
		switch r {
		case '.', '/':
			out = append(out, '_')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}

// TestCSRLifecycle checks the requester is recorded, the spec cannot change,
// approval goes through /approval and the certificate through /status.
func TestCSRLifecycle(t *testing.T) {
	in := servertest.Start(t)
	csrs := kubernetes.NewForConfigOrDie(in.Config).CertificatesV1().CertificateSigningRequests()
	ctx := context.Background()
	csrPEM, caPEM := platformPEM(t)
	csr, err := csrs.Create(ctx, &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "c1"},
		Spec: certificatesv1.CertificateSigningRequestSpec{Request: []byte(csrPEM), SignerName: "example.com/s",
			Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}, Username: "mallory"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if csr.Spec.Username == "mallory" || csr.Spec.Username == "" {
		t.Errorf("username %q, want the authenticated admin", csr.Spec.Username)
	}

	tests := []struct {
		name    string
		do      func() (*certificatesv1.CertificateSigningRequest, error)
		wantErr bool
		check   func(*certificatesv1.CertificateSigningRequest) bool
	}{
		{
			name: "spec changes through the main resource are ignored",
			do: func() (*certificatesv1.CertificateSigningRequest, error) {
				c, _ := csrs.Get(ctx, "c1", metav1.GetOptions{})
				c.Spec.SignerName = "example.com/other"
				return csrs.Update(ctx, c, metav1.UpdateOptions{})
			},
			check: func(c *certificatesv1.CertificateSigningRequest) bool { return c.Spec.SignerName == "example.com/s" },
		},
		{
			name: "status may not approve",
			do: func() (*certificatesv1.CertificateSigningRequest, error) {
				c, _ := csrs.Get(ctx, "c1", metav1.GetOptions{})
				c.Status.Conditions = append(c.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: "True"})
				return csrs.UpdateStatus(ctx, c, metav1.UpdateOptions{})
			},
			wantErr: true,
		},
		{
			name: "approval approves and stamps the condition",
			do: func() (*certificatesv1.CertificateSigningRequest, error) {
				c, _ := csrs.Get(ctx, "c1", metav1.GetOptions{})
				c.Status.Conditions = append(c.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: "True", Reason: "OK"})
				c.Status.Certificate = []byte(caPEM)
				return csrs.UpdateApproval(ctx, "c1", c, metav1.UpdateOptions{})
			},
			check: func(c *certificatesv1.CertificateSigningRequest) bool {
				return len(c.Status.Conditions) == 1 && !c.Status.Conditions[0].LastUpdateTime.IsZero() && len(c.Status.Certificate) == 0
			},
		},
		{
			name: "status sets the certificate",
			do: func() (*certificatesv1.CertificateSigningRequest, error) {
				c, _ := csrs.Get(ctx, "c1", metav1.GetOptions{})
				c.Status.Certificate = []byte(caPEM)
				return csrs.UpdateStatus(ctx, c, metav1.UpdateOptions{})
			},
			check: func(c *certificatesv1.CertificateSigningRequest) bool {
				return len(c.Status.Certificate) > 0 && len(c.Status.Conditions) == 1
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.do()
			if tc.wantErr {
				if !apierrors.IsInvalid(err) {
					t.Fatalf("err %v, want 422", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(got) {
				t.Errorf("unexpected result: %+v", got.Status)
			}
		})
	}

	t.Run("field selector on signerName", func(t *testing.T) {
		l, err := csrs.List(ctx, metav1.ListOptions{FieldSelector: "spec.signerName=example.com/s"})
		if err != nil || len(l.Items) != 1 {
			t.Fatalf("list: %v", err)
		}
		if _, err := csrs.List(ctx, metav1.ListOptions{FieldSelector: "spec.usages=x"}); !apierrors.IsBadRequest(err) {
			t.Errorf("unsupported field label: %v, want 400", err)
		}
	})
}
