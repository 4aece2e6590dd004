package endpoints

import "testing"

func TestRestfulAccepts(t *testing.T) {
	produces := []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
	tests := []struct {
		name, accept string
		want         bool
	}{
		{"exact", "application/json", true},
		{"with parameters", "application/json;as=Table;v=v1;g=meta.k8s.io", true},
		{"second of several", "application/xml, application/vnd.kubernetes.protobuf", true},
		{"any", "text/html, */*;q=0.8", true},
		{"spaces", " application/yaml ;q=0.5", true},
		{"wildcard subtype", "application/*", false},
		{"capitals", "APPLICATION/JSON", false},
		{"none", "application/xml", false},
		{"empty part", ",", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := restfulAccepts(tc.accept, produces); got != tc.want {
				t.Errorf("restfulAccepts(%q) = %v, want %v", tc.accept, got, tc.want)
			}
		})
	}
}

// BenchmarkRestfulAccepts is the check every request to a built-in resource with
// an Accept header pays, with client-go's header.
func BenchmarkRestfulAccepts(b *testing.B) {
	produces := []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
	b.ReportAllocs()
	for b.Loop() {
		if !restfulAccepts("application/vnd.kubernetes.protobuf, application/json", produces) {
			b.Fatal("refused")
		}
	}
}
