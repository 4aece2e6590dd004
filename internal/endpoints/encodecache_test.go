package endpoints

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

func TestEncodeCache(t *testing.T) {
	ser := json.NewSerializerWithOptions(json.DefaultMetaFactory, nil, nil, json.SerializerOptions{})
	cm := func(rv, data string) *corev1.ConfigMap {
		return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "u1", ResourceVersion: rv}, Data: map[string]string{"k": data}}
	}
	var c encodeCache
	cases := []struct {
		name    string
		obj     runtime.Object
		deleted bool
		want    string
	}{
		{"first encoding", cm("5", "new"), false, `"k":"new"`},
		{"same object and revision comes from the cache", cm("5", "changed-in-place"), false, `"k":"new"`},
		{"the DELETED state at the same revision is its own entry", cm("5", "old"), true, `"k":"old"`},
		{"a new revision is encoded", cm("6", "newer"), false, `"k":"newer"`},
		{"objects without a resourceVersion are never cached", cm("", "one"), false, `"k":"one"`},
		{"and encoded each time", cm("", "two"), false, `"k":"two"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := c.encode(tc.obj, tc.deleted, "application/json", ser)
			if err != nil || !strings.Contains(string(data), tc.want) {
				t.Errorf("%s, %v; want %s", data, err, tc.want)
			}
		})
	}
	for i := range encodeCacheSize + 10 {
		if _, err := c.encode(cm(string(rune('a'+i%26))+strings.Repeat("x", i), "v"), false, "application/json", ser); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.entries) != encodeCacheSize {
		t.Errorf("cache holds %d entries, want the bound %d", len(c.entries), encodeCacheSize)
	}
}
