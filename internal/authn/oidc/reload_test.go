package oidc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// configYAML renders an AuthenticationConfiguration of the issuers, trusting ca.
func configYAML(ca string, issuers ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n")
	indented := "      " + strings.ReplaceAll(strings.TrimSpace(ca), "\n", "\n      ")
	for _, iss := range issuers {
		fmt.Fprintf(&b, "- issuer:\n    url: %s\n    audiences: [kapi]\n    certificateAuthority: |\n%s\n  claimMappings:\n    username: {claim: sub, prefix: \"%s:\"}\n", iss, indented, iss)
	}
	return b.String()
}

func TestFileAuthenticatorReload(t *testing.T) {
	ti := newTestIssuer(t)
	ti.addKey(t, "k1", jose.ES256, true)
	first, second := ti.url("/first"), ti.url("/second")
	path := filepath.Join(t.TempDir(), "authn.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(configYAML(ti.caPEM, first))
	f, err := NewFileAuthenticator(path, Options{}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tokenOf := func(iss string) string { return ti.sign(t, "k1", claimsAt(iss, now, nil)) }
	steps := []struct {
		name        string
		content     string
		reloadErr   string
		firstOK     bool
		secondOK    bool
		unreachable bool
	}{
		{name: "initial file", firstOK: true},
		{name: "unchanged file", content: configYAML(ti.caPEM, first), firstOK: true},
		{name: "second issuer added", content: configYAML(ti.caPEM, first, second), firstOK: true, secondOK: true},
		{name: "invalid file keeps the old configuration", content: "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: http://x}\n",
			reloadErr: "URL scheme must be https", firstOK: true, secondOK: true},
		{name: "unreachable issuer keeps the old configuration", content: configYAML(ti.caPEM, first, second, "https://127.0.0.1:1/nowhere"),
			reloadErr: "not ready", firstOK: true, secondOK: true},
		{name: "first issuer removed", content: configYAML(ti.caPEM, second), secondOK: true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.content != "" {
				write(st.content)
				err := f.Reload(context.Background())
				if (err != nil) != (st.reloadErr != "") || (err != nil && !strings.Contains(err.Error(), st.reloadErr)) {
					t.Fatalf("Reload = %v, want an error containing %q", err, st.reloadErr)
				}
			}
			for iss, want := range map[string]bool{first: st.firstOK, second: st.secondOK} {
				u, ok, err := f.AuthenticateToken(context.Background(), tokenOf(iss))
				if ok != want || (ok && u.Name != iss+":alice") {
					t.Errorf("token of %s: %+v,%v,%v; want ok=%v", iss, u, ok, err, want)
				}
			}
		})
	}
}

func TestFileAuthenticatorReloadsInTheBackground(t *testing.T) {
	ti := newTestIssuer(t)
	ti.addKey(t, "k1", jose.ES256, true)
	path := filepath.Join(t.TempDir(), "authn.yaml")
	if err := os.WriteFile(path, []byte(configYAML(ti.caPEM, ti.url("/a"))), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := NewFileAuthenticator(path, Options{}, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	token := ti.sign(t, "k1", claimsAt(ti.url("/b"), time.Now(), nil))
	if _, ok, _ := f.AuthenticateToken(context.Background(), token); ok {
		t.Fatal("issuer b authenticated before it was configured")
	}
	if err := os.WriteFile(path, []byte(configYAML(ti.caPEM, ti.url("/b"))), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok, _ := f.AuthenticateToken(context.Background(), token); ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the changed file was not picked up")
}

func TestNewFileAuthenticatorErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope.yaml"), "no such file"},
		{"invalid configuration", bad, "jwt[0].issuer.audiences: Required value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewFileAuthenticator(tc.path, Options{}, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewFileAuthenticator = %v, want %q", err, tc.want)
			}
		})
	}
}
