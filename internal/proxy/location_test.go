package proxy

import (
	"net"
	"strings"
	"testing"
)

func TestSplitSchemeNamePort(t *testing.T) {
	tests := []struct {
		name, id           string
		scheme, host, port string
		ok                 bool
	}{
		{name: "name only", id: "pod", host: "pod", ok: true},
		{name: "name and port", id: "pod:8080", host: "pod", port: "8080", ok: true},
		{name: "named port", id: "svc:http", host: "svc", port: "http", ok: true},
		{name: "https scheme", id: "https:pod:443", scheme: "https", host: "pod", port: "443", ok: true},
		{name: "http scheme empty port", id: "http:pod:", scheme: "http", host: "pod", ok: true},
		{name: "unknown scheme", id: "ftp:pod:21"},
		{name: "empty", id: ""},
		{name: "empty name", id: ":8080"},
		{name: "too many parts", id: "https:pod:443:x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, n, p, ok := SplitSchemeNamePort(tc.id)
			if s != tc.scheme || n != tc.host || p != tc.port || ok != tc.ok {
				t.Errorf("SplitSchemeNamePort(%q) = %q %q %q %v, want %q %q %q %v", tc.id, s, n, p, ok, tc.scheme, tc.host, tc.port, tc.ok)
			}
		})
	}
}

func FuzzSplitSchemeNamePort(f *testing.F) {
	for _, s := range []string{"pod", "pod:80", "https:pod:443", "::", "a:b:c:d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		s, n, p, ok := SplitSchemeNamePort(id)
		if !ok {
			if s != "" || n != "" || p != "" {
				t.Fatalf("invalid %q returned parts %q %q %q", id, s, n, p)
			}
			return
		}
		if n == "" || strings.Contains(n, ":") || strings.Contains(p, ":") {
			t.Fatalf("valid %q gave name %q port %q", id, n, p)
		}
		if s != "" && s != "http" && s != "https" {
			t.Fatalf("valid %q gave scheme %q", id, s)
		}
		joined := n
		switch strings.Count(id, ":") {
		case 1:
			joined = n + ":" + p
		case 2:
			joined = s + ":" + n + ":" + p
		}
		if joined != id {
			t.Fatalf("%q split into %q %q %q does not join back (%q)", id, s, n, p, joined)
		}
	})
}

func FuzzJoinPath(f *testing.F) {
	for _, s := range []string{"", "/", "/a/b/", "../../etc", "a//b", "/%2e%2e/"} {
		f.Add("/base", s)
	}
	f.Fuzz(func(t *testing.T, base, sub string) {
		got := JoinPath(base, sub)
		if strings.Contains(got, "/../") || strings.HasSuffix(got, "/..") && strings.HasPrefix(got, "/") {
			t.Fatalf("JoinPath(%q, %q) = %q keeps a parent reference", base, sub, got)
		}
		if strings.HasSuffix(sub, "/") && got != "" && !strings.HasSuffix(got, "/") {
			t.Fatalf("JoinPath(%q, %q) = %q lost the trailing slash", base, sub, got)
		}
	})
}

func TestJoinPath(t *testing.T) {
	tests := []struct {
		name string
		elem []string
		want string
	}{
		{"empty", []string{"", ""}, ""},
		{"sub path", []string{"", "/a/b"}, "/a/b"},
		{"keeps trailing slash", []string{"", "/a/"}, "/a/"},
		{"root slash", []string{"", "/"}, "/"},
		{"base and sub", []string{"/base", "/x/"}, "/base/x/"},
		{"parent references are cleaned", []string{"/base", "/../../x"}, "/x"},
		{"empty last element uses previous", []string{"/a/", ""}, "/a/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := JoinPath(tc.elem...); got != tc.want {
				t.Errorf("JoinPath(%q) = %q, want %q", tc.elem, got, tc.want)
			}
		})
	}
}

func TestProxyableIP(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"10.1.2.3", true}, {"192.0.2.2", true}, {"2001:db8::1", true},
		{"127.0.0.1", false}, {"::1", false}, {"169.254.169.254", false}, {"0.0.0.0", false}, {"224.0.0.1", false}, {"", false},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			if got := ProxyableIP(net.ParseIP(tc.ip)); got != tc.want {
				t.Errorf("ProxyableIP(%s) = %v, want %v", tc.ip, got, tc.want)
			}
		})
	}
}
