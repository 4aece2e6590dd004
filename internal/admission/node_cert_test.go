package admission_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

func impersonate(t *testing.T, in *servertest.Instance, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	cfg := rest.CopyConfig(in.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestNodeRestriction acts as kubelet n1 against its own and another node's objects.
func TestNodeRestriction(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) {
		c.EnableAdmissionPlugins = []string{"NodeRestriction"}
		c.DisableAdmissionPlugins = []string{"ServiceAccount"}
	})
	admin := clientFor(t, in)
	kubelet := impersonate(t, in, "system:node:n1", "system:nodes", "system:authenticated")
	ctx := context.Background()
	for _, n := range []string{"n1", "n2"} {
		if _, err := admin.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	n1, err := admin.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mirror := func(name, nodeName string) *corev1.Pod {
		return pod(name, func(p *corev1.Pod) {
			p.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"}
			p.Spec.NodeName = nodeName
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "n1", UID: n1.UID, Controller: ptr.To(true)}}
		})
	}
	cases := []struct {
		name string
		do   func() error
		msg  string
	}{
		{"own mirror pod", func() error {
			_, err := kubelet.CoreV1().Pods("default").Create(ctx, mirror("m1", "n1"), metav1.CreateOptions{})
			return err
		}, ""},
		{"plain pod", func() error {
			_, err := kubelet.CoreV1().Pods("default").Create(ctx, pod("plain"), metav1.CreateOptions{})
			return err
		}, `pods "plain" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods`},
		{"mirror pod for another node", func() error {
			_, err := kubelet.CoreV1().Pods("default").Create(ctx, mirror("m2", "n2"), metav1.CreateOptions{})
			return err
		}, `pods "m2" is forbidden: node "n1" can only create pods with spec.nodeName set to itself`},
		{"mirror pod with secret", func() error {
			p := mirror("m3", "n1")
			p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}}}
			_, err := kubelet.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
			return err
		}, `pods "m3" is forbidden: node "n1" can not create pods that reference configmaps`},
		{"other node", func() error {
			_, err := kubelet.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n3"}}, metav1.CreateOptions{})
			return err
		}, `nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"`},
		{"restricted label", func() error {
			n, err := kubelet.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
			if err != nil {
				return err
			}
			n.Labels = map[string]string{"node-restriction.kubernetes.io/x": "y", "kubernetes.io/hostname": "n1"}
			_, err = kubelet.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
			return err
		}, `nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x`},
		{"own node label", func() error {
			n, err := kubelet.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
			if err != nil {
				return err
			}
			n.Labels = map[string]string{"kubernetes.io/hostname": "n1", "example.com/rack": "3"}
			_, err = kubelet.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{})
			return err
		}, ""},
		{"lease of another node", func() error {
			_, err := kubelet.CoordinationV1().Leases("kube-node-lease").Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}, metav1.CreateOptions{})
			return err
		}, `leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node`},
		{"own lease", func() error {
			_, err := kubelet.CoordinationV1().Leases("kube-node-lease").Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, metav1.CreateOptions{})
			return err
		}, ""},
		{"delete another node's pod", func() error {
			if _, err := admin.CoreV1().Pods("default").Create(ctx, pod("elsewhere", func(p *corev1.Pod) { p.Spec.NodeName = "n2" }), metav1.CreateOptions{}); err != nil {
				return err
			}
			return kubelet.CoreV1().Pods("default").Delete(ctx, "elsewhere", metav1.DeleteOptions{})
		}, `pods "elsewhere" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantStatus(t, err, http.StatusForbidden, tc.msg)
		})
	}
}

func csrPEM(t *testing.T, orgs ...string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "u", Organization: orgs}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// TestCertificatePlugins checks the approve/sign authorizer checks on signers and
// the system:masters subject restriction.
func TestCertificatePlugins(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.AuthorizationModes = []string{"RBAC"} })
	admin := clientFor(t, in)
	ctx := context.Background()
	_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "csr-writer"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests", "certificatesigningrequests/approval", "certificatesigningrequests/status"}, Verbs: []string{"*"}},
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"signers"}, ResourceNames: []string{"example.com/*"}, Verbs: []string{"approve", "attest"}},
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"clustertrustbundles"}, Verbs: []string{"*"}},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "csr-writer"},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob", APIGroup: "rbac.authorization.k8s.io"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bob := impersonate(t, in, "bob", "system:authenticated")
	// The RBAC authorizer sees the new binding through a watch: wait for it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := bob.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("binding never took effect: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	newCSR := func(name, signer string, orgs ...string) *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: certificatesv1.CertificateSigningRequestSpec{
			Request: csrPEM(t, orgs...), SignerName: signer, Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature}}}
	}
	approve := func(cs kubernetes.Interface, name string) error {
		csr, err := cs.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "ok"})
		_, err = cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, name, csr, metav1.UpdateOptions{})
		return err
	}
	cases := []struct {
		name string
		do   func() error
		msg  string
	}{
		{"system:masters client cert", func() error {
			_, err := bob.CertificatesV1().CertificateSigningRequests().Create(ctx, newCSR("masters", certificatesv1.KubeAPIServerClientSignerName, "system:masters"), metav1.CreateOptions{})
			return err
		}, `certificatesigningrequests.certificates.k8s.io "masters" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed`},
		{"approve with wildcard permission", func() error {
			if _, err := bob.CertificatesV1().CertificateSigningRequests().Create(ctx, newCSR("mine", "example.com/issuer"), metav1.CreateOptions{}); err != nil {
				return err
			}
			return approve(bob, "mine")
		}, ""},
		{"approve without permission", func() error {
			if _, err := bob.CertificatesV1().CertificateSigningRequests().Create(ctx, newCSR("theirs", "other.io/issuer"), metav1.CreateOptions{}); err != nil {
				return err
			}
			return approve(bob, "theirs")
		}, `certificatesigningrequests.certificates.k8s.io "theirs" is forbidden: user not permitted to approve requests with signerName "other.io/issuer"`},
		{"attest with wildcard permission", func() error {
			_, err := bob.CertificatesV1().ClusterTrustBundles().Create(ctx, trustBundle("example.com:issuer:a", "example.com/issuer"), metav1.CreateOptions{})
			return err
		}, ""},
		{"attest without permission", func() error {
			_, err := bob.CertificatesV1().ClusterTrustBundles().Create(ctx, trustBundle("other.io:issuer:a", "other.io/issuer"), metav1.CreateOptions{})
			return err
		}, `clustertrustbundles.certificates.k8s.io "other.io:issuer:a" is forbidden: user not permitted to attest for signerName "other.io/issuer"`},
		{"bundle without signer needs no attest", func() error {
			_, err := bob.CertificatesV1().ClusterTrustBundles().Create(ctx, trustBundle("plain", ""), metav1.CreateOptions{})
			return err
		}, ""},
		{"sign without permission", func() error {
			csr, err := bob.CertificatesV1().CertificateSigningRequests().Get(ctx, "mine", metav1.GetOptions{})
			if err != nil {
				return err
			}
			csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateFailed, Status: corev1.ConditionTrue, Reason: "x"})
			_, err = bob.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, csr, metav1.UpdateOptions{})
			return err
		}, `certificatesigningrequests.certificates.k8s.io "mine" is forbidden: user not permitted to sign requests with signerName "example.com/issuer"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantStatus(t, err, http.StatusForbidden, tc.msg)
		})
	}
}

// trustBundle returns a ClusterTrustBundle of one self-signed certificate.
func trustBundle(name, signer string) *certificatesv1.ClusterTrustBundle {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: certificatesv1.ClusterTrustBundleSpec{
		SignerName: signer, TrustBundle: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}}
}

// TestPodTopologyLabels: a pod created on a node, or bound to one, gets the node's
// zone and region labels.
func TestPodTopologyLabels(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.DisableAdmissionPlugins = []string{"ServiceAccount"} })
	admin := clientFor(t, in)
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "zoned", Labels: map[string]string{
		"topology.kubernetes.io/zone": "z1", "topology.kubernetes.io/region": "r1", "other": "x"}}}
	if _, err := admin.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	onNode, err := admin.CoreV1().Pods("default").Create(ctx, pod("on-node", func(p *corev1.Pod) { p.Spec.NodeName = "zoned" }), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Pods("default").Create(ctx, pod("bound"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := admin.CoreV1().Pods("default").Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "bound"},
		Target: corev1.ObjectReference{Kind: "Node", Name: "zoned"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bound, err := admin.CoreV1().Pods("default").Get(ctx, "bound", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*corev1.Pod{onNode, bound} {
		if p.Labels["topology.kubernetes.io/zone"] != "z1" || p.Labels["topology.kubernetes.io/region"] != "r1" || p.Labels["other"] != "" {
			t.Errorf("pod %s labels %v", p.Name, p.Labels)
		}
	}
}
