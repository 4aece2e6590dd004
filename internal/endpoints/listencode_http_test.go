package endpoints_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/endpoints"
)

// TestListsFromKeptEncodings lists ConfigMaps repeatedly in JSON and protobuf while
// they change: every response must be what the serializer makes of the decoded list
// (byte for byte) and show the objects as they are now, not as a kept encoding of
// an earlier state.
func TestListsFromKeptEncodings(t *testing.T) {
	c := newClient(t)
	const path = "/api/v1/namespaces/t/configmaps"
	for i := range 5 {
		c.mustCreate(path, cm(fmt.Sprintf("cm-%d", i), ""))
	}
	codecs := serializer.NewCodecFactory(apis.NewScheme())
	steps := []struct {
		name   string
		change func()
		want   map[string]string // name → data value of key k
	}{
		{"first lists", func() {}, map[string]string{"cm-0": "v", "cm-1": "v", "cm-2": "v", "cm-3": "v", "cm-4": "v"}},
		{"kept encodings", func() {}, map[string]string{"cm-0": "v", "cm-1": "v", "cm-2": "v", "cm-3": "v", "cm-4": "v"}},
		{"one changed", func() {
			if r := c.do("PATCH", path+"/cm-2", "application/merge-patch+json", "", []byte(`{"data":{"k":"changed"}}`)); r.code != http.StatusOK {
				t.Fatalf("patch: %d %s", r.code, r.body)
			}
		}, map[string]string{"cm-0": "v", "cm-1": "v", "cm-2": "changed", "cm-3": "v", "cm-4": "v"}},
		{"one deleted, one created", func() {
			if r := c.do("DELETE", path+"/cm-0", "", "", nil); r.code != http.StatusOK {
				t.Fatalf("delete: %d %s", r.code, r.body)
			}
			c.mustCreate(path, cm("cm-5", ""))
		}, map[string]string{"cm-1": "v", "cm-2": "changed", "cm-3": "v", "cm-4": "v", "cm-5": "v"}},
	}
	for _, step := range steps {
		step.change()
		for _, mediaType := range []string{jsonCT, protoCT} {
			t.Run(step.name+"/"+mediaType, func(t *testing.T) {
				for _, query := range []string{"", "?resourceVersion=0", "?labelSelector=!missing", "?limit=100"} { // the last from etcd
					before := endpoints.SplicedLists()
					r := c.do("GET", path+query, "", mediaType, nil)
					if endpoints.SplicedLists() == before {
						t.Errorf("list%s was not written from kept encodings", query)
					}
					if r.code != http.StatusOK || r.ct != mediaType {
						t.Fatalf("list%s: %d %s %s", query, r.code, r.ct, r.body)
					}
					info, _ := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mediaType)
					list := &corev1.ConfigMapList{}
					if _, _, err := info.Serializer.Decode(r.body, nil, list); err != nil {
						t.Fatalf("list%s does not decode: %v", query, err)
					}
					got := map[string]string{}
					for _, item := range list.Items {
						if item.Kind != "" || item.APIVersion != "" {
							t.Errorf("item %s carries a kind inside a typed list", item.Name)
						}
						got[item.Name] = item.Data["k"]
					}
					if fmt.Sprint(got) != fmt.Sprint(step.want) {
						t.Errorf("list%s = %v, want %v", query, got, step.want)
					}
					list.Kind, list.APIVersion = "ConfigMapList", "v1"
					var again bytes.Buffer
					if err := info.Serializer.Encode(list, &again); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(again.Bytes(), r.body) {
						t.Errorf("list%s is not the serializer's encoding:\n got %q\nwant %q", query, r.body, again.Bytes())
					}
				}
			})
		}
	}
}
