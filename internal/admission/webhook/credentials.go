package webhook

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// Credentials are how the API server authenticates to webhooks: the users of the
// kubeconfig named by the WebhookAdmissionConfiguration of
// --admission-control-config-file, chosen by the webhook's host as upstream.
type Credentials struct {
	users   map[string]*clientcmdapi.AuthInfo
	current string
}

// webhookAdmission is WebhookAdmissionConfiguration (apiserver.config.k8s.io/v1).
type webhookAdmission struct {
	Kind           string `json:"kind"`
	APIVersion     string `json:"apiVersion"`
	KubeConfigFile string `json:"kubeConfigFile"`
}

// LoadCredentials reads a plugin configuration (JSON or YAML); relative paths are
// resolved against baseDir, the admission configuration file's directory. No
// configuration gives no credentials (nil).
func LoadCredentials(raw []byte, baseDir string) (*Credentials, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var cfg webhookAdmission
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("invalid WebhookAdmissionConfiguration: %w", err)
	}
	if cfg.Kind != "" && cfg.Kind != "WebhookAdmissionConfiguration" && cfg.Kind != "WebhookAdmission" {
		return nil, fmt.Errorf("unexpected kind %q, want WebhookAdmissionConfiguration", cfg.Kind)
	}
	if cfg.KubeConfigFile == "" {
		return nil, nil
	}
	path := cfg.KubeConfigFile
	if !filepath.IsAbs(path) {
		if baseDir == "" {
			return nil, errors.New("kubeConfigFile must be an absolute path")
		}
		path = filepath.Join(baseDir, path)
	}
	kc, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading webhook kubeconfig %s: %w", path, err)
	}
	c := &Credentials{users: kc.AuthInfos}
	if ctx := kc.Contexts[kc.CurrentContext]; ctx != nil {
		c.current = ctx.AuthInfo
	}
	return c, nil
}

// forTarget returns the user for host:port: exact, then "*.<suffix>" wildcards,
// the same without a default 443 port, then "*", then the current context's user.
func (c *Credentials) forTarget(hostPort string) (string, *clientcmdapi.AuthInfo) {
	if c == nil {
		return "", nil
	}
	lookup := func(target string) (string, *clientcmdapi.AuthInfo) {
		if a, ok := c.users[target]; ok {
			return target, a
		}
		steps := strings.Split(target, ".")
		for i := 1; i < len(steps); i++ {
			nick := "*." + strings.Join(steps[i:], ".")
			if a, ok := c.users[nick]; ok {
				return nick, a
			}
		}
		return "", nil
	}
	if n, a := lookup(hostPort); a != nil {
		return n, a
	}
	if host, port, err := net.SplitHostPort(hostPort); err == nil && port == "443" {
		if n, a := lookup(host); a != nil {
			return n, a
		}
	}
	if a, ok := c.users["*"]; ok {
		return "*", a
	}
	if a, ok := c.users[c.current]; ok {
		return c.current, a
	}
	return "", nil
}

// clientCertificate returns the user's client certificate, if any.
func clientCertificate(a *clientcmdapi.AuthInfo) ([]tls.Certificate, error) {
	certPEM, keyPEM := a.ClientCertificateData, a.ClientKeyData
	var err error
	if len(certPEM) == 0 && a.ClientCertificate != "" {
		if certPEM, err = os.ReadFile(a.ClientCertificate); err != nil {
			return nil, err
		}
	}
	if len(keyPEM) == 0 && a.ClientKey != "" {
		if keyPEM, err = os.ReadFile(a.ClientKey); err != nil {
			return nil, err
		}
	}
	if len(certPEM) == 0 {
		return nil, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, errors.New("invalid client certificate or key in the webhook kubeconfig")
	}
	return []tls.Certificate{cert}, nil
}

// authorize sets the user's token or basic credentials on req.
func authorize(req *http.Request, a *clientcmdapi.AuthInfo) error {
	if a == nil {
		return nil
	}
	token := a.Token
	if token == "" && a.TokenFile != "" {
		raw, err := os.ReadFile(a.TokenFile)
		if err != nil {
			return fmt.Errorf("reading the webhook token file: %w", err)
		}
		token = strings.TrimSpace(string(raw))
	}
	switch {
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	case a.Username != "":
		req.SetBasicAuth(a.Username, a.Password)
	}
	return nil
}
