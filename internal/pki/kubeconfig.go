package pki

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Names inside the admin kubeconfig.
const (
	kubeconfigCluster = "kapi"
	kubeconfigUser    = "kapi-admin"
	kubeconfigContext = "kapi"
)

// WriteKubeconfig writes an admin kubeconfig for server (an https URL) to path. The
// CA and the admin certificate and key are embedded rather than referenced, so the
// file keeps working when copied off this machine. It holds a private key, hence
// mode 0600 and an atomic write (a reader never sees half a file).
func WriteKubeconfig(path, server string, b *Bundle) error {
	if b == nil {
		return errors.New("pki: nil Bundle")
	}
	caPEM, err := os.ReadFile(b.CACertFile)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	certPEM, err := os.ReadFile(b.AdminCertFile)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	keyPEM, err := os.ReadFile(b.AdminKeyFile)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}

	cfg := clientcmdapi.NewConfig()
	cluster := clientcmdapi.NewCluster()
	cluster.Server = server
	cluster.CertificateAuthorityData = caPEM
	cfg.Clusters[kubeconfigCluster] = cluster

	user := clientcmdapi.NewAuthInfo()
	user.ClientCertificateData = certPEM
	user.ClientKeyData = keyPEM
	cfg.AuthInfos[kubeconfigUser] = user

	kctx := clientcmdapi.NewContext()
	kctx.Cluster = kubeconfigCluster
	kctx.AuthInfo = kubeconfigUser
	cfg.Contexts[kubeconfigContext] = kctx
	cfg.CurrentContext = kubeconfigContext

	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("pki: encode kubeconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := writeFileAtomic(path, data, keyMode); err != nil {
		return fmt.Errorf("pki: write kubeconfig: %w", err)
	}
	return nil
}
