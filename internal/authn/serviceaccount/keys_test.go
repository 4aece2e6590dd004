package serviceaccount

import (
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pemBlock(t testing.TB, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkix8(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pkixPub(t testing.TB, k crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func selfSigned(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sa"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestKeyID(t *testing.T) {
	key, err := ParsePrivateKey([]byte(testECKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	id, err := KeyID(key.Public())
	if err != nil || id != testECKeyID {
		t.Fatalf("KeyID = %q, %v; want %q (computed by openssl)", id, err, testECKeyID)
	}
}

func TestParsePublicKeys(t *testing.T) {
	rsaK := testRSAKey(t)
	ecK := newECKey(t, elliptic.P384())
	_, edK, _ := ed25519.GenerateKey(rand.Reader)
	rsaID, ecID := publicKeyOf(t, rsaK).KeyID, publicKeyOf(t, ecK).KeyID
	ecDER, _ := x509.MarshalECPrivateKey(ecK)
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "RSA PKCS#1 private key", in: pemBlock(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaK)), want: []string{rsaID}},
		{name: "EC private key", in: pemBlock(t, "EC PRIVATE KEY", ecDER), want: []string{ecID}},
		{name: "PKCS#8 private keys", in: pemBlock(t, "PRIVATE KEY", pkix8(t, rsaK)) + pemBlock(t, "PRIVATE KEY", pkix8(t, ecK)), want: []string{rsaID, ecID}},
		{name: "public keys", in: pemBlock(t, "PUBLIC KEY", pkixPub(t, ecK.Public())) + pemBlock(t, "PUBLIC KEY", pkixPub(t, rsaK.Public())), want: []string{ecID, rsaID}},
		{name: "certificate", in: pemBlock(t, "CERTIFICATE", selfSigned(t, ecK)), want: []string{ecID}},
		{name: "block type is not trusted", in: pemBlock(t, "SOMETHING", pkixPub(t, ecK.Public())), want: []string{ecID}},
		{name: "other blocks skipped", in: pemBlock(t, "EC PARAMETERS", []byte{6, 8, 42}) + "junk\n" + pemBlock(t, "PUBLIC KEY", pkixPub(t, rsaK.Public())), want: []string{rsaID}},
		{name: "ed25519 is not a service-account key", in: pemBlock(t, "PRIVATE KEY", pkix8(t, edK)), wantErr: "does not contain any valid RSA or ECDSA public keys"},
		{name: "empty", in: "", wantErr: "does not contain any valid RSA or ECDSA public keys"},
		{name: "not PEM", in: "hello", wantErr: "does not contain any valid RSA or ECDSA public keys"},
		{name: "garbage in a key block", in: pemBlock(t, "PUBLIC KEY", []byte("nope")), wantErr: "does not contain any valid RSA or ECDSA public keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParsePublicKeys([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, k.KeyID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("key ids = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParsePrivateKey(t *testing.T) {
	rsaK := testRSAKey(t)
	ecDER, _ := x509.MarshalECPrivateKey(newECKey(t, elliptic.P256()))
	_, edK, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "RSA PKCS#1", in: pemBlock(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaK))},
		{name: "EC after parameters", in: pemBlock(t, "EC PARAMETERS", []byte{6, 8}) + pemBlock(t, "EC PRIVATE KEY", ecDER)},
		{name: "PKCS#8 RSA", in: pemBlock(t, "PRIVATE KEY", pkix8(t, rsaK))},
		{name: "PKCS#8 ed25519", in: pemBlock(t, "PRIVATE KEY", pkix8(t, edK)), wantErr: "unsupported private key type"},
		{name: "public key only", in: pemBlock(t, "PUBLIC KEY", pkixPub(t, rsaK.Public())), wantErr: "does not contain a valid RSA or ECDSA private key"},
		{name: "corrupt key", in: pemBlock(t, "RSA PRIVATE KEY", []byte("x")), wantErr: "does not contain a valid RSA or ECDSA private key"},
		{name: "empty", in: "", wantErr: "does not contain a valid RSA or ECDSA private key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePrivateKey([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || k == nil {
				t.Fatalf("ParsePrivateKey = %v, %v", k, err)
			}
		})
	}
}

func TestReadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ec := write("ec.pem", testECKeyPEM)
	bad := write("bad.pem", "nothing here")
	t.Run("several files in order", func(t *testing.T) {
		keys, err := ReadPublicKeys(ec, ec)
		if err != nil || len(keys) != 2 || keys[0].KeyID != testECKeyID {
			t.Fatalf("ReadPublicKeys = %v, %v", keys, err)
		}
	})
	t.Run("a file without keys names the file", func(t *testing.T) {
		if _, err := ReadPublicKeys(ec, bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("err = %v, want one naming %s", err, bad)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, err := ReadPublicKeys(filepath.Join(dir, "missing")); err == nil {
			t.Fatal("no error for a missing file")
		}
	})
	t.Run("private key file", func(t *testing.T) {
		if _, err := ReadPrivateKey(ec); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadPrivateKey(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("err = %v, want one naming %s", err, bad)
		}
	})
}
