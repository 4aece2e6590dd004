package authn

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCABundleFile(t *testing.T) {
	first, second := newCA(t, "first"), newCA(t, "second")
	pemOf := func(p *pkiFixture) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw})
	}
	path := filepath.Join(t.TempDir(), "ca.crt")
	write := func(b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	leafOf := func(p *pkiFixture) *x509.Certificate {
		return p.issue(t, pkix.Name{CommonName: "x"}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, time.Now().Add(time.Hour))
	}
	verifies := func(b *CABundleFile, c *x509.Certificate) bool {
		_, err := c.Verify(x509.VerifyOptions{Roots: b.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		return err == nil
	}

	write(pemOf(first))
	b, err := NewCABundleFile(path, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		content     []byte
		firstOK     bool
		secondOK    bool
		wantPEMFrom *pkiFixture
	}{
		{name: "initial content", firstOK: true, wantPEMFrom: first},
		{name: "changed content is reloaded", content: pemOf(second), secondOK: true, wantPEMFrom: second},
		{name: "garbage keeps the last good bundle", content: []byte("not pem"), secondOK: true, wantPEMFrom: second},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.content != nil {
				write(st.content)
				time.Sleep(time.Millisecond)
			}
			if got := verifies(b, leafOf(first)); got != st.firstOK {
				t.Errorf("first CA verifies = %v, want %v", got, st.firstOK)
			}
			if got := verifies(b, leafOf(second)); got != st.secondOK {
				t.Errorf("second CA verifies = %v, want %v", got, st.secondOK)
			}
			if string(b.PEM()) != string(pemOf(st.wantPEMFrom)) {
				t.Errorf("PEM is not the expected bundle")
			}
		})
	}
	t.Run("missing or empty file", func(t *testing.T) {
		if _, err := NewCABundleFile(filepath.Join(t.TempDir(), "nope"), 0); err == nil {
			t.Error("missing file: no error")
		}
		empty := filepath.Join(t.TempDir(), "empty")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := NewCABundleFile(empty, 0); err == nil {
			t.Error("empty file: no error")
		}
	})
}
