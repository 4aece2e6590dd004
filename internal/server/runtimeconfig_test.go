package server

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

func TestCheckRuntimeConfig(t *testing.T) {
	resources := []*registry.Resource{
		{GroupVersion: schema.GroupVersion{Version: "v1"}, Name: "pods"},
		{GroupVersion: schema.GroupVersion{Group: "batch", Version: "v1"}, Name: "jobs"},
		{GroupVersion: schema.GroupVersion{Group: "example.io", Version: "v1beta1"}, Name: "widgets"},
	}
	tests := []struct {
		name    string
		entries map[string]string
		wantErr string
	}{
		{"none", nil, ""},
		{"all on", map[string]string{"api/all": "true"}, ""},
		{"served version on", map[string]string{"batch/v1": "true"}, ""},
		{"empty value means on", map[string]string{"batch/v1": ""}, ""},
		{"unserved version on is ignored", map[string]string{"resource.k8s.io/v1alpha3": "true"}, ""},
		{"one resource of an unserved version", map[string]string{"storage.k8s.io/v1alpha1/volumeattributesclasses": "true"}, ""},
		{"alpha off when none is served", map[string]string{"api/alpha": "false"}, ""},
		{"unserved version off", map[string]string{"batch/v2alpha1": "false"}, ""},
		{"served version off", map[string]string{"batch/v1": "false"}, "kapi serves batch/v1 and cannot turn it off"},
		{"core off", map[string]string{"api/v1": "false"}, "kapi serves v1 and cannot turn it off"},
		{"legacy off", map[string]string{"api/legacy": "false"}, "kapi serves v1"},
		{"beta off", map[string]string{"api/beta": "false"}, "kapi serves example.io/v1beta1"},
		{"all off", map[string]string{"api/all": "false"}, "kapi serves batch/v1, example.io/v1beta1, v1"},
		{"not a bool", map[string]string{"batch/v1": "yes"}, "invalid value of batch/v1: yes"},
		{"bad key", map[string]string{"batch": "true"}, "invalid key batch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRuntimeConfig(tc.entries, resources)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
