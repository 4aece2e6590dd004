package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuthorizationConfigFile runs the chain of a structured configuration: AlwaysDeny
// then AlwaysAllow lets everyone in (AlwaysDeny has no opinion, as upstream's).
func TestAuthorizationConfigFile(t *testing.T) {
	tests := []struct {
		name        string
		authorizers string
		wantAllowed bool
	}{
		{"deny only", "- type: AlwaysDeny\n  name: deny\n", false},
		{"deny then allow", "- type: AlwaysDeny\n  name: deny\n- type: AlwaysAllow\n  name: allow\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := writeFile(t, "authz.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n"+tc.authorizers)
			tokens := writeFile(t, "tokens.csv", "alice-token,alice,1001\n")
			in := servertest.StartWith(t, func(c *server.Config) {
				c.AuthorizationConfigFile = conf
				c.TokenAuthFile = tokens
				c.Controllers = []string{} // their writes are denied here
			})
			cfg := rest.AnonymousClientConfig(in.Config)
			cfg.BearerToken = "alice-token"
			_, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{})
			if tc.wantAllowed != (err == nil) {
				t.Errorf("list as alice: err = %v, want allowed %v", err, tc.wantAllowed)
			}
			if !tc.wantAllowed && err != nil && err.Error() != `configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default": Everything is forbidden.` {
				t.Errorf("message = %q", err)
			}
			// system:masters passes whatever the chain says.
			if _, err := kubernetes.NewForConfigOrDie(in.Config).CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{}); err != nil {
				t.Errorf("admin: %v", err)
			}
		})
	}
}

// TestAuthorizationFlagErrors checks the start-up errors of bad authorization flags.
func TestAuthorizationFlagErrors(t *testing.T) {
	client := etcdtest.Start(t)
	conf := writeFile(t, "authz.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: RBAC\n  name: rbac\n")
	tests := []struct {
		name    string
		set     func(*server.Config)
		wantErr string
	}{
		{"unknown mode", func(c *server.Config) { c.AuthorizationModes = []string{"ABAC"} }, `authorization-mode "ABAC" is not a valid mode`},
		{"mode twice", func(c *server.Config) { c.AuthorizationModes = []string{"RBAC", "RBAC"} }, `authorization-mode "RBAC" has mode specified more than once`},
		{"webhook without file", func(c *server.Config) { c.AuthorizationModes = []string{"Webhook"} }, "authorization-mode Webhook's authorization config file not passed"},
		{"file without webhook", func(c *server.Config) {
			c.AuthorizationModes = []string{"RBAC"}
			c.WebhookConfigFile = "/tmp/x"
		}, "cannot specify --authorization-webhook-config-file without mode Webhook"},
		{"config and modes", func(c *server.Config) {
			c.AuthorizationModes = []string{"RBAC"}
			c.AuthorizationConfigFile = conf
		}, "--authorization-config can not be specified when --authorization-mode"},
		{"bad config", func(c *server.Config) { c.AuthorizationConfigFile = writeFile(t, "bad.yaml", "kind: Nope\n") }, "unsupported authorization configuration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{DataDir: t.TempDir(), EtcdServers: client.Endpoints(), SecurePort: 1}
			tc.set(&cfg)
			s, err := server.New(context.Background(), cfg)
			if err == nil {
				_ = s
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestAuthorizationConfigReload swaps the chain when the file changes and keeps it
// when the new content is invalid.
func TestAuthorizationConfigReload(t *testing.T) {
	const head = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n"
	conf := writeFile(t, "authz.yaml", head+"- type: AlwaysDeny\n  name: deny\n")
	tokens := writeFile(t, "tokens.csv", "alice-token,alice,1001\n")
	in := servertest.StartWith(t, func(c *server.Config) {
		c.AuthorizationConfigFile = conf
		c.AuthorizationConfigReloadInterval = 50 * time.Millisecond
		c.TokenAuthFile = tokens
		c.Controllers = []string{} // their writes are denied here
	})
	cfg := rest.AnonymousClientConfig(in.Config)
	cfg.BearerToken = "alice-token"
	alice := kubernetes.NewForConfigOrDie(cfg)
	list := func() error {
		_, err := alice.CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{})
		return err
	}
	if err := list(); err == nil {
		t.Fatal("alice allowed under AlwaysDeny")
	}
	if err := os.WriteFile(conf, []byte(head+"- type: AlwaysAllow\n  name: allow\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for list() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the new configuration was not loaded")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := os.WriteFile(conf, []byte(head+"- type: Bogus\n  name: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := list(); err != nil {
		t.Errorf("an invalid file replaced the running configuration: %v", err)
	}
}
