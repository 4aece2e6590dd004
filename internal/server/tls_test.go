package server_test

import (
	"crypto/tls"
	"net/url"
	"testing"

	"github.com/kapi-dev/kapi/internal/pki"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestServerSNI: a whole server given --tls-sni-cert-key presents that certificate
// to clients asking for its names and its own certificate to the others.
func TestServerSNI(t *testing.T) {
	sni, err := pki.Ensure(pki.Config{Dir: t.TempDir(), Hosts: []string{"sni.example"}, AdminUser: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	in := servertest.StartWith(t, func(c *server.Config) {
		c.SNICertKeys = []server.SNICertKey{{CertFile: sni.ServingCertFile, KeyFile: sni.ServingKeyFile}}
	})
	u, err := url.Parse(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, serverName string
		wantSNI          bool
	}{
		{name: "name of the SNI certificate", serverName: "sni.example", wantSNI: true},
		{name: "other name", serverName: "localhost"},
		{name: "no SNI"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", u.Host, &tls.Config{ServerName: tc.serverName, InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			got := conn.ConnectionState().PeerCertificates[0]
			if isSNI := got.Equal(sni.Serving.Leaf); isSNI != tc.wantSNI {
				t.Errorf("served %v %v, want the SNI certificate: %v", got.Subject, got.DNSNames, tc.wantSNI)
			}
		})
	}
}
