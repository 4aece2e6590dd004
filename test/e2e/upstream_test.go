package e2e

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/pki"
)

// TestUpstreamControlPlane runs upstream's kube-controller-manager and
// kube-scheduler v1.37.2, unchanged, against kapi with its own controllers off
// (--controllers=), each with its own system: identity as in a cluster set up by
// hand, and checks their work end to end: leader election, a Deployment's
// ReplicaSet and Pods, scheduling onto nodes, the EndpointSlice of a Service,
// ValidatingAdmissionPolicy type checking (kapi must leave that status to the
// controller), certificate signing and namespace deletion. The nodes are upstream's
// kubelet over a fake container runtime (kubemark's hollow node), each with its
// system:node identity: they register, heartbeat through their Leases, run the
// pods bound to them and finish their deletion.
//
// $KAPI_UPSTREAM_BIN names a folder holding the three binaries; CI builds them with
// test/e2e/upstream/build.sh. Without it the test is skipped.
func TestUpstreamControlPlane(t *testing.T) {
	bin := os.Getenv("KAPI_UPSTREAM_BIN")
	if bin == "" {
		t.Skip("KAPI_UPSTREAM_BIN is not set (test/e2e/upstream/build.sh builds kube-controller-manager and kube-scheduler)")
	}
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	s := startKapiWithArgs(t, dataDir, "--controllers=")
	certDir := filepath.Join(dataDir, "pki")
	kcmConfig := componentKubeconfig(t, s, certDir, filepath.Join(dir, "kcm.kubeconfig"), "system:kube-controller-manager")
	schedConfig := componentKubeconfig(t, s, certDir, filepath.Join(dir, "scheduler.kubeconfig"), "system:kube-scheduler")
	startComponent(t, filepath.Join(bin, "kube-controller-manager"), nil, "--kubeconfig="+kcmConfig,
		"--use-service-account-credentials", "--service-account-private-key-file="+filepath.Join(certDir, "sa.key"),
		"--root-ca-file="+filepath.Join(certDir, "ca.crt"), "--cluster-signing-cert-file="+filepath.Join(certDir, "ca.crt"),
		"--cluster-signing-key-file="+filepath.Join(certDir, "ca.key"), "--secure-port=0",
		"--flex-volume-plugin-dir="+filepath.Join(dir, "flexvolume"), "--node-monitor-grace-period=10m")
	startComponent(t, filepath.Join(bin, "kube-scheduler"), nil, "--kubeconfig="+schedConfig, "--secure-port=0")
	nodes := []string{"node-a", "node-b"}
	for _, name := range nodes {
		startHollowNode(t, bin, filepath.Join(dir, name), s, certDir, name)
	}

	cs := s.clientset(t)
	c := ctx(t, 4*time.Minute)
	within := 90 * time.Second
	for _, lease := range []string{"kube-controller-manager", "kube-scheduler"} {
		eventually(t, within, lease+" leader lease", func() error {
			l, err := cs.CoordinationV1().Leases("kube-system").Get(c, lease, metav1.GetOptions{})
			if err == nil && ptr.Deref(l.Spec.HolderIdentity, "") == "" {
				err = fmt.Errorf("no holder")
			}
			return err
		})
	}

	for _, name := range nodes {
		eventually(t, within, name+" registered, Ready and heartbeating", func() error {
			node, err := cs.CoreV1().Nodes().Get(c, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !nodeReady(node) {
				return fmt.Errorf("conditions %v", node.Status.Conditions)
			}
			lease, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(c, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if ptr.Deref(lease.Spec.HolderIdentity, "") != name || lease.Spec.RenewTime == nil {
				return fmt.Errorf("lease held by %q, renewed %v", ptr.Deref(lease.Spec.HolderIdentity, ""), lease.Spec.RenewTime)
			}
			return nil
		})
	}

	const ns = "upstream-work"
	if _, err := cs.CoreV1().Namespaces().Create(c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, within, "the serviceaccount controller's default ServiceAccount and the kube-root-ca.crt ConfigMap", func() error {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(c, "default", metav1.GetOptions{}); err != nil {
			return err
		}
		_, err := cs.CoreV1().ConfigMaps(ns).Get(c, "kube-root-ca.crt", metav1.GetOptions{})
		return err
	})

	labels := map[string]string{"app": "web"}
	deploy := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](3), Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "web", Image: "nginx", Ports: []corev1.ContainerPort{{ContainerPort: 80}},
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}}}}}
	if _, err := cs.AppsV1().Deployments(ns).Create(c, deploy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Services(ns).Create(c, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, within, "the Deployment available with 3 scheduled, running replicas", func() error {
		d, err := cs.AppsV1().Deployments(ns).Get(c, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas != 3 || d.Status.ObservedGeneration != d.Generation {
			return fmt.Errorf("status %+v", d.Status)
		}
		pods, err := cs.CoreV1().Pods(ns).List(c, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			if p.Spec.NodeName == "" || len(p.OwnerReferences) != 1 || p.OwnerReferences[0].Kind != "ReplicaSet" {
				return fmt.Errorf("pod %s: node %q, owners %v", p.Name, p.Spec.NodeName, p.OwnerReferences)
			}
			if p.Status.Phase != corev1.PodRunning || len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Running == nil {
				return fmt.Errorf("pod %s: phase %s, containers %v (the kubelet reports them)", p.Name, p.Status.Phase, p.Status.ContainerStatuses)
			}
		}
		return nil
	})
	eventually(t, within, "the Service's EndpointSlice with 3 ready endpoints", func() error {
		slices, err := cs.DiscoveryV1().EndpointSlices(ns).List(c, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		if err != nil {
			return err
		}
		ready := 0
		for _, sl := range slices.Items {
			for _, ep := range sl.Endpoints {
				if ptr.Deref(ep.Conditions.Ready, false) {
					ready++
				}
			}
		}
		if ready != 3 {
			return fmt.Errorf("%d ready endpoints in %d slices", ready, len(slices.Items))
		}
		return nil
	})

	checkPolicyTypeChecking(t, c, cs, within)
	checkCertificateSigning(t, c, cs, within)

	if err := cs.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNamespaceGone(t, c, cs, ns, within)
}

// checkPolicyTypeChecking: kube-controller-manager's
// validatingadmissionpolicy-status-controller type-checks a policy against the
// Deployment schema and writes two warnings, which stay (kapi's own writer, which
// knows compile errors only, used to overwrite them).
func checkPolicyTypeChecking(t *testing.T, c context.Context, cs kubernetes.Interface, within time.Duration) {
	t.Helper()
	vaps := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	_, err := vaps.Create(c, &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "confused"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{"CREATE"},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}}}}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "object.spec.replicas > '1'",
				MessageExpression: "'wants replicas > 1, got ' + object.spec.replicas"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	warnings := func() (int, error) {
		p, err := vaps.Get(c, "confused", metav1.GetOptions{})
		if err != nil || p.Status.TypeChecking == nil {
			return 0, err
		}
		return len(p.Status.TypeChecking.ExpressionWarnings), nil
	}
	eventually(t, within, "the policy's two type-checking warnings", func() error {
		n, err := warnings()
		if err == nil && n != 2 {
			err = fmt.Errorf("%d warnings", n)
		}
		return err
	})
	time.Sleep(time.Second)
	if n, err := warnings(); err != nil || n != 2 {
		t.Errorf("a second later the policy has %d type-checking warnings (%v), want the controller's 2", n, err)
	}
}

// checkCertificateSigning: an approved client-certificate request is signed by
// kube-controller-manager's signer with kapi's CA.
func checkCertificateSigning(t *testing.T, c context.Context, cs kubernetes.Interface, within time.Duration) {
	t.Helper()
	key, err := keyutil.MakeEllipticPrivateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := keyutil.ParsePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	csrPEM, err := cert.MakeCSR(signer, &pkix.Name{CommonName: "alice", Organization: []string{"dev"}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	csr, err := csrs.Create(c, &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "alice"},
		Spec: certificatesv1.CertificateSigningRequestSpec{Request: csrPEM, SignerName: certificatesv1.KubeAPIServerClientSignerName,
			Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Test", Message: "approved by the test"})
	if _, err := csrs.UpdateApproval(c, "alice", csr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, within, "the signed certificate", func() error {
		got, err := csrs.Get(c, "alice", metav1.GetOptions{})
		if err != nil {
			return err
		}
		block, _ := pem.Decode(got.Status.Certificate)
		if block == nil {
			return fmt.Errorf("no certificate yet")
		}
		crt, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return err
		}
		if crt.Subject.CommonName != "alice" || crt.Issuer.CommonName == "" {
			return fmt.Errorf("certificate for %q issued by %q", crt.Subject.CommonName, crt.Issuer.CommonName)
		}
		return nil
	})
}

// componentKubeconfig writes a kubeconfig at path for user, with a client
// certificate from kapi's generated CA, as a cluster set up by hand gives each
// control-plane component.
func componentKubeconfig(t *testing.T, s *kapiServer, certDir, path, user string, groups ...string) string {
	t.Helper()
	ca, err := pki.LoadCA(certDir)
	if err != nil {
		t.Fatal(err)
	}
	crt, key, err := ca.ClientCertPEM(user, groups)
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kapi"] = &clientcmdapi.Cluster{Server: s.host, CertificateAuthorityData: ca.CertPEM()}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts["kapi"] = &clientcmdapi.Context{Cluster: "kapi", AuthInfo: user}
	cfg.CurrentContext = "kapi"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// startComponent runs an upstream binary until the test ends, with env added to
// the test's environment, printing its log's tail when the test fails.
func startComponent(t *testing.T, path string, env []string, args ...string) {
	t.Helper()
	log := &syncBuffer{}
	cmd := exec.Command(path, append(args, "--v=2")...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s log tail:\n%s", filepath.Base(path), log.tail(40))
		}
	})
}

// startHollowNode runs upstream's kubelet over a fake container runtime as node
// name, with the node's client certificate (system:node:<name> in system:nodes,
// which kapi's Node authorizer and NodeRestriction admission act on). Its files
// go under dir.
func startHollowNode(t *testing.T, bin, dir string, s *kapiServer, certDir, name string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	config := componentKubeconfig(t, s, certDir, filepath.Join(dir, "kubeconfig"), "system:node:"+name, "system:nodes")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	startComponent(t, filepath.Join(bin, "kubemark"), []string{"TMPDIR=" + dir}, "--morph=kubelet", "--name="+name,
		"--kubeconfig="+config, fmt.Sprintf("--kubelet-port=%d", port), "--kubelet-read-only-port=0",
		"--use-host-image-service=false")
}

func nodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
