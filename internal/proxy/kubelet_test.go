package proxy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestKubeletConnection(t *testing.T) {
	k, err := NewKubelet(KubeletConfig{})
	if err != nil {
		t.Fatal(err)
	}
	addrs := []corev1.NodeAddress{
		{Type: corev1.NodeExternalIP, Address: "203.0.113.1"},
		{Type: corev1.NodeInternalIP, Address: "10.0.0.1"},
		{Type: corev1.NodeHostName, Address: "node-a"},
	}
	tests := []struct {
		name     string
		node     corev1.Node
		wantHost string
		wantPort string
		wantErr  bool
	}{
		{name: "hostname first, default port", node: corev1.Node{Status: corev1.NodeStatus{Addresses: addrs}}, wantHost: "node-a", wantPort: "10250"},
		{name: "internal IP before external", node: corev1.Node{Status: corev1.NodeStatus{Addresses: addrs[:2],
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 1234}}}}, wantHost: "10.0.0.1", wantPort: "1234"},
		{name: "no known address", node: corev1.Node{Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: "Other", Address: "x"}}}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := k.Connection(&tc.node)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Host != tc.wantHost || c.Port != tc.wantPort || c.Scheme != "https" {
				t.Errorf("got %s://%s:%s, want https://%s:%s", c.Scheme, c.Host, c.Port, tc.wantHost, tc.wantPort)
			}
		})
	}
}

func TestNewKubeletRejectsHalfACertificate(t *testing.T) {
	for name, cfg := range map[string]KubeletConfig{
		"cert without key":  {CertFile: "/x.crt"},
		"key without cert":  {KeyFile: "/x.key"},
		"missing cert file": {CertFile: "/nonexistent.crt", KeyFile: "/nonexistent.key"},
		"missing CA file":   {CAFile: "/nonexistent.crt"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewKubelet(cfg); err == nil {
				t.Errorf("NewKubelet(%+v) succeeded", cfg)
			}
		})
	}
}
