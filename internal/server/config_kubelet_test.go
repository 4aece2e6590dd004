package server

import (
	"strings"
	"testing"
)

func TestKubeletOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    KubeletOptions
		wantErr string
	}{
		{name: "defaults", opts: KubeletOptions{}},
		{name: "address types", opts: KubeletOptions{KubeletPreferredAddressTypes: []string{"InternalIP", "Hostname"}}},
		{name: "unknown address type", opts: KubeletOptions{KubeletPreferredAddressTypes: []string{"InternalIP", "Bogus"}},
			wantErr: `unknown address type "Bogus"`},
		{name: "certificate without key", opts: KubeletOptions{KubeletClientCertificate: "/tmp/x.crt"},
			wantErr: "must be given together"},
		{name: "missing CA file", opts: KubeletOptions{KubeletCertificateAuthority: "/nonexistent/ca.crt"},
			wantErr: "--kubelet-certificate-authority"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := tc.opts.newKubelet()
			if tc.wantErr == "" {
				if err != nil || k == nil {
					t.Fatalf("newKubelet: %v", err)
				}
				k.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
