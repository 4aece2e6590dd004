package server

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCompleteServiceAccounts(t *testing.T) {
	tests := []struct {
		name      string
		in        ServiceAccountOptions
		issuers   []string
		audiences []string
		wantErr   string
	}{
		{name: "embedded defaults", issuers: []string{DefaultServiceAccountIssuer}, audiences: []string{DefaultServiceAccountIssuer}},
		{name: "embedded with API audiences", in: ServiceAccountOptions{APIAudiences: []string{"api"}},
			issuers: []string{DefaultServiceAccountIssuer}, audiences: []string{"api"}},
		{name: "external issuers are the audiences", in: ServiceAccountOptions{ServiceAccountSigningKeyFile: "k", ServiceAccountIssuers: []string{"https://a", "b"}},
			issuers: []string{"https://a", "b"}, audiences: []string{"https://a", "b"}},
		{name: "signing key without issuer", in: ServiceAccountOptions{ServiceAccountSigningKeyFile: "k"},
			wantErr: "--service-account-signing-key-file, --service-account-issuer, and --api-audiences should be specified together"},
		{name: "issuer without signing key", in: ServiceAccountOptions{ServiceAccountIssuers: []string{"https://a"}},
			wantErr: "should be specified together"},
		{name: "empty issuer", in: ServiceAccountOptions{ServiceAccountSigningKeyFile: "k", ServiceAccountIssuers: []string{"https://a", ""}},
			wantErr: "service-account-issuer should not be an empty string"},
		{name: "duplicate issuer", in: ServiceAccountOptions{ServiceAccountSigningKeyFile: "k", ServiceAccountIssuers: []string{"https://a", "https://a"}},
			wantErr: `service-account-issuer "https://a" is already specified`},
		{name: "issuer with a colon but no URL", in: ServiceAccountOptions{ServiceAccountSigningKeyFile: "k", ServiceAccountIssuers: []string{"http://[::1"}},
			wantErr: `service-account-issuer "http://[::1" contained a ':' but was not a valid URL`},
		{name: "jwks uri not https", in: ServiceAccountOptions{ServiceAccountJWKSURI: "http://keys"},
			wantErr: "service-account-jwks-uri requires https scheme"},
		{name: "max expiration too short", in: ServiceAccountOptions{ServiceAccountMaxTokenExpiration: 30 * time.Minute},
			wantErr: "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds"},
		{name: "max expiration in range", in: ServiceAccountOptions{ServiceAccountMaxTokenExpiration: 48 * time.Hour},
			issuers: []string{DefaultServiceAccountIssuer}, audiences: []string{DefaultServiceAccountIssuer}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.in
			err := o.completeServiceAccounts()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o.ServiceAccountIssuers, tc.issuers) || !reflect.DeepEqual(o.APIAudiences, tc.audiences) {
				t.Fatalf("issuers %v audiences %v; want %v %v", o.ServiceAccountIssuers, o.APIAudiences, tc.issuers, tc.audiences)
			}
		})
	}
	t.Run("extension defaults to on", func(t *testing.T) {
		off := false
		if !(&ServiceAccountOptions{}).extendTokenExpiration() || (&ServiceAccountOptions{ServiceAccountExtendTokenExpiration: &off}).extendTokenExpiration() {
			t.Fatal("wrong default")
		}
	})
}

func TestEnsureServiceAccountKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pki", "sa.key")
	first, err := ensureServiceAccountKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	data, _ := os.ReadFile(path)
	if b, _ := pem.Decode(data); b == nil || b.Type != "RSA PRIVATE KEY" {
		t.Fatalf("key file is not an RSA PEM key")
	} else if _, err := x509.ParsePKCS1PrivateKey(b.Bytes); err != nil {
		t.Fatal(err)
	}
	second, err := ensureServiceAccountKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first.Public(), second.Public()) {
		t.Fatal("the key changed on the second start")
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ensureServiceAccountKey(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a corrupt key file gave %v, want an error naming it", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}
