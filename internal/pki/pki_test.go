package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// testHosts is what cmd/kapi passes: loopback, the in-cluster names and the first
// service IP.
func testHosts() []string {
	return []string{
		"localhost", "127.0.0.1", "kubernetes", "kubernetes.default",
		"kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "10.96.0.1", "::1",
	}
}

func testConfig(dir string) Config {
	return Config{
		Dir:         dir,
		Hosts:       testHosts(),
		AdminUser:   "kubernetes-admin",
		AdminGroups: []string{"system:masters"},
	}
}

func mustEnsure(t *testing.T, cfg Config) *Bundle {
	t.Helper()
	b, err := Ensure(cfg)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	return b
}

func TestEnsureCreatesFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	b := mustEnsure(t, testConfig(dir))

	cases := []struct {
		name string
		path string
		mode fs.FileMode
	}{
		{"dir", dir, dirMode | fs.ModeDir},
		{"ca cert", b.CACertFile, certMode},
		{"ca key", b.CAKeyFile, keyMode},
		{"serving cert", b.ServingCertFile, certMode},
		{"serving key", b.ServingKeyFile, keyMode},
		{"admin cert", b.AdminCertFile, certMode},
		{"admin key", b.AdminKeyFile, keyMode},
		{"sa key", b.SAKeyFile, keyMode},
		{"sa pub", b.SAPubFile, certMode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fi, err := os.Stat(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tc.mode {
				t.Errorf("mode = %v, want %v", fi.Mode(), tc.mode)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 8 {
		t.Errorf("dir holds %d entries, want 8 (no leftover temp files)", len(entries))
	}
}

func TestCA(t *testing.T) {
	b := mustEnsure(t, testConfig(t.TempDir()))
	ca := b.CA
	if ca.Subject.CommonName != "kapi-ca" || !ca.IsCA {
		t.Errorf("CA subject %q IsCA %v", ca.Subject, ca.IsCA)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key is %T, want ECDSA P-256", ca.PublicKey)
	}
	if got := ca.NotAfter.Sub(ca.NotBefore); got < caValidity {
		t.Errorf("CA validity %v, want >= %v", got, caValidity)
	}
}

func TestServingCertVerifiesForEachSAN(t *testing.T) {
	b := mustEnsure(t, testConfig(t.TempDir()))
	leaf := b.Serving.Leaf
	for _, host := range testHosts() {
		t.Run(host, func(t *testing.T) {
			_, err := leaf.Verify(x509.VerifyOptions{
				DNSName:   host,
				Roots:     b.CAPool,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			if err != nil {
				t.Errorf("Verify(%s): %v", host, err)
			}
		})
	}
	t.Run("unknown host rejected", func(t *testing.T) {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: b.CAPool})
		if err == nil {
			t.Error("Verify(example.com) succeeded, want a hostname error")
		}
	})
	t.Run("not a client cert", func(t *testing.T) {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: b.CAPool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err == nil {
			t.Error("serving cert verified for client auth")
		}
	})
	if got := leaf.NotAfter.Sub(leaf.NotBefore); got < leafValidity {
		t.Errorf("serving validity %v, want >= %v", got, leafValidity)
	}
}

func TestAdminCert(t *testing.T) {
	b := mustEnsure(t, testConfig(t.TempDir()))
	leaf := b.Admin.Leaf
	if leaf.Subject.CommonName != "kubernetes-admin" {
		t.Errorf("CN = %q", leaf.Subject.CommonName)
	}
	if !slices.Equal(leaf.Subject.Organization, []string{"system:masters"}) {
		t.Errorf("O = %q", leaf.Subject.Organization)
	}
	cases := []struct {
		name    string
		usage   x509.ExtKeyUsage
		wantErr bool
	}{
		{"client auth", x509.ExtKeyUsageClientAuth, false},
		{"server auth", x509.ExtKeyUsageServerAuth, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := leaf.Verify(x509.VerifyOptions{Roots: b.CAPool, KeyUsages: []x509.ExtKeyUsage{tc.usage}})
			if (err != nil) != tc.wantErr {
				t.Errorf("Verify err = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

func TestSAKey(t *testing.T) {
	b := mustEnsure(t, testConfig(t.TempDir()))
	key, err := readKey(b.SAKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok || ecKey.Curve != elliptic.P256() {
		t.Fatalf("sa.key is %T, want ECDSA P-256", key)
	}
	pub, err := readPublicKey(b.SAPubFile)
	if err != nil {
		t.Fatal(err)
	}
	if !ecKey.PublicKey.Equal(pub) {
		t.Error("sa.pub does not match sa.key")
	}
}

// state captures what a restart may or may not change.
type state struct {
	ca, serving, admin string
	saPub              string
}

func snapshot(t *testing.T, b *Bundle) state {
	t.Helper()
	saPub, err := os.ReadFile(b.SAPubFile)
	if err != nil {
		t.Fatal(err)
	}
	return state{
		ca:      b.CA.SerialNumber.String(),
		serving: b.Serving.Leaf.SerialNumber.String(),
		admin:   b.Admin.Leaf.SerialNumber.String(),
		saPub:   string(saPub),
	}
}

func TestEnsureRestart(t *testing.T) {
	cases := []struct {
		name string
		// change mutates the config (and/or files) before the second Ensure.
		change                    func(t *testing.T, cfg *Config, b *Bundle)
		newServing, newAdmin      bool
		checkServingHasHost       string
		checkAdminGroupsAfterward []string
	}{
		{
			name:   "unchanged reuses everything",
			change: func(*testing.T, *Config, *Bundle) {},
		},
		{
			name:   "reordered hosts and a dropped host reuse serving cert",
			change: func(_ *testing.T, c *Config, _ *Bundle) { c.Hosts = []string{"10.96.0.1", "LOCALHOST"} },
		},
		{
			name:                "new DNS SAN reissues serving cert",
			change:              func(_ *testing.T, c *Config, _ *Bundle) { c.Hosts = append(c.Hosts, "kapi.example.com") },
			newServing:          true,
			checkServingHasHost: "kapi.example.com",
		},
		{
			name:                "new IP SAN reissues serving cert",
			change:              func(_ *testing.T, c *Config, _ *Bundle) { c.Hosts = append(c.Hosts, "192.0.2.10") },
			newServing:          true,
			checkServingHasHost: "192.0.2.10",
		},
		{
			name:                      "changed admin groups reissue admin cert",
			change:                    func(_ *testing.T, c *Config, _ *Bundle) { c.AdminGroups = []string{"system:masters", "ops"} },
			newAdmin:                  true,
			checkAdminGroupsAfterward: []string{"system:masters", "ops"},
		},
		{
			name: "near expiry reissues leaves but keeps CA",
			change: func(_ *testing.T, c *Config, _ *Bundle) {
				later := time.Now().Add(leafValidity - renewBefore + 24*time.Hour)
				c.now = func() time.Time { return later }
			},
			newServing: true,
			newAdmin:   true,
		},
		{
			name: "deleted serving key reissues serving cert",
			change: func(t *testing.T, _ *Config, b *Bundle) {
				if err := os.Remove(b.ServingKeyFile); err != nil {
					t.Fatal(err)
				}
			},
			newServing: true,
		},
		{
			name: "mismatched admin key reissues admin cert",
			change: func(t *testing.T, _ *Config, b *Bundle) {
				copyFile(t, b.ServingKeyFile, b.AdminKeyFile)
			},
			newAdmin: true,
		},
		{
			name: "missing sa.pub is rewritten from sa.key",
			change: func(t *testing.T, _ *Config, b *Bundle) {
				if err := os.Remove(b.SAPubFile); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			first := mustEnsure(t, cfg)
			before := snapshot(t, first)
			tc.change(t, &cfg, first)
			second := mustEnsure(t, cfg)
			after := snapshot(t, second)

			if after.ca != before.ca {
				t.Error("CA was replaced")
			}
			if after.saPub != before.saPub {
				t.Error("service-account key was replaced")
			}
			if got := after.serving != before.serving; got != tc.newServing {
				t.Errorf("serving reissued = %v, want %v", got, tc.newServing)
			}
			if got := after.admin != before.admin; got != tc.newAdmin {
				t.Errorf("admin reissued = %v, want %v", got, tc.newAdmin)
			}
			// What Ensure returned must be what is on disk.
			onDisk := mustEnsure(t, cfg)
			if snapshot(t, onDisk) != after {
				t.Error("a third Ensure changed files again")
			}
			if h := tc.checkServingHasHost; h != "" {
				if err := second.Serving.Leaf.VerifyHostname(h); err != nil {
					t.Errorf("reissued serving cert: %v", err)
				}
				// The original SANs must survive the reissue.
				if err := second.Serving.Leaf.VerifyHostname("kubernetes.default.svc"); err != nil {
					t.Errorf("reissued serving cert lost a SAN: %v", err)
				}
			}
			if g := tc.checkAdminGroupsAfterward; g != nil && !sameSet(second.Admin.Leaf.Subject.Organization, g) {
				t.Errorf("admin O = %q, want %q", second.Admin.Leaf.Subject.Organization, g)
			}
		})
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, keyMode); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, cfg *Config)
	}{
		{"no dir", func(_ *testing.T, c *Config) { c.Dir = "" }},
		{"no admin user", func(_ *testing.T, c *Config) { c.AdminUser = "" }},
		{"no hosts", func(_ *testing.T, c *Config) { c.Hosts = []string{" ", ""} }},
		{"CA cert without key", func(t *testing.T, c *Config) {
			mustEnsure(t, *c)
			if err := os.Remove(filepath.Join(c.Dir, caKeyName)); err != nil {
				t.Fatal(err)
			}
		}},
		{"corrupt CA cert", func(t *testing.T, c *Config) {
			mustEnsure(t, *c)
			if err := os.WriteFile(filepath.Join(c.Dir, caCertName), []byte("garbage"), certMode); err != nil {
				t.Fatal(err)
			}
		}},
		{"CA key does not match", func(t *testing.T, c *Config) {
			mustEnsure(t, *c)
			copyFile(t, filepath.Join(c.Dir, adminKeyName), filepath.Join(c.Dir, caKeyName))
		}},
		{"sa.pub without sa.key", func(t *testing.T, c *Config) {
			mustEnsure(t, *c)
			if err := os.Remove(filepath.Join(c.Dir, saKeyName)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			tc.setup(t, &cfg)
			if _, err := Ensure(cfg); err == nil {
				t.Error("Ensure succeeded, want an error")
			}
		})
	}
}

// A CA key written without its certificate means a first start died midway; the
// next start must recover rather than wedge.
func TestEnsureRecoversFromHalfWrittenCA(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, caKeyName), []byte("partial"), keyMode); err != nil {
		t.Fatal(err)
	}
	b := mustEnsure(t, testConfig(dir))
	if _, err := b.Serving.Leaf.Verify(x509.VerifyOptions{Roots: b.CAPool, DNSName: "localhost"}); err != nil {
		t.Errorf("serving cert after recovery: %v", err)
	}
}

func TestSplitHosts(t *testing.T) {
	cases := []struct {
		name    string
		in      []string
		wantDNS []string
		wantIPs []string
	}{
		{"empty", nil, nil, nil},
		{"mixed", []string{"localhost", "127.0.0.1", "::1", "kubernetes"}, []string{"localhost", "kubernetes"}, []string{"127.0.0.1", "::1"}},
		{"blanks trimmed and dropped", []string{" host ", "", "  "}, []string{"host"}, nil},
		{"duplicates removed", []string{"A", "a", "10.0.0.1", "10.0.0.1", "::ffff:10.0.0.1"}, []string{"A"}, []string{"10.0.0.1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dns, ips := SplitHosts(tc.in)
			if !slices.Equal(dns, tc.wantDNS) {
				t.Errorf("dns = %q, want %q", dns, tc.wantDNS)
			}
			var got []string
			for _, ip := range ips {
				got = append(got, ip.String())
			}
			if !slices.Equal(got, tc.wantIPs) {
				t.Errorf("ips = %q, want %q", got, tc.wantIPs)
			}
			for _, ip := range ips {
				if ip.To4() != nil && len(ip) != net.IPv4len {
					t.Errorf("IPv4 %s not normalised to 4 bytes", ip)
				}
			}
		})
	}
}
