package authn

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"
)

// TestVerifiedChains checks what the verification cache may answer from memory: a
// chain that verified, against the same roots and usage, until it expires — never a
// chain that failed, another pool (a reloaded CA bundle) or another usage.
func TestVerifiedChains(t *testing.T) {
	ca := newCA(t, "trusted-ca")
	other := newCA(t, "other-ca")
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	good := ca.issue(t, pkix.Name{CommonName: "alice"}, client, time.Now().Add(time.Hour))
	soon := ca.issue(t, pkix.Name{CommonName: "bob"}, client, time.Now().Add(2*time.Second))
	stranger := other.issue(t, pkix.Name{CommonName: "eve"}, client, time.Now().Add(time.Hour))
	opts := func(pool *x509.CertPool, usage x509.ExtKeyUsage) x509.VerifyOptions {
		return x509.VerifyOptions{Roots: pool, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{usage}}
	}
	var v verifiedChains
	verified := 0
	real := verifyChain
	verifyChain = func(leaf *x509.Certificate, opts x509.VerifyOptions) error {
		verified++
		return real(leaf, opts)
	}
	t.Cleanup(func() { verifyChain = real })
	steps := []struct {
		name    string
		cert    *x509.Certificate
		opts    x509.VerifyOptions
		wait    time.Duration
		wantErr bool
		cached  int // entries after the step
		checks  int // signature checks so far
	}{
		{"first verification is kept", good, opts(ca.pool, x509.ExtKeyUsageClientAuth), 0, false, 1, 1},
		{"again from the cache", good, opts(ca.pool, x509.ExtKeyUsageClientAuth), 0, false, 1, 1},
		{"untrusted chain fails and is not kept", stranger, opts(ca.pool, x509.ExtKeyUsageClientAuth), 0, true, 1, 2},
		{"untrusted chain fails again", stranger, opts(ca.pool, x509.ExtKeyUsageClientAuth), 0, true, 1, 3},
		{"another pool verifies afresh", good, opts(other.pool, x509.ExtKeyUsageClientAuth), 0, true, 1, 4},
		{"another usage verifies afresh", good, opts(ca.pool, x509.ExtKeyUsageServerAuth), 0, true, 1, 5},
		{"short-lived certificate kept", soon, opts(ca.pool, x509.ExtKeyUsageClientAuth), 0, false, 2, 6},
		{"short-lived certificate expired: its entry is not trusted", soon, opts(ca.pool, x509.ExtKeyUsageClientAuth), 2500 * time.Millisecond, true, 2, 7},
	}
	for _, s := range steps {
		time.Sleep(s.wait)
		err := v.verify([]*x509.Certificate{s.cert}, s.opts)
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: err = %v, want error %v", s.name, err, s.wantErr)
		}
		if len(v.entries) != s.cached {
			t.Fatalf("%s: %d entries kept, want %d", s.name, len(v.entries), s.cached)
		}
		if verified != s.checks {
			t.Fatalf("%s: %d signature checks so far, want %d", s.name, verified, s.checks)
		}
	}
}
