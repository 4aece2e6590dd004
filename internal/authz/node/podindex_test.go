package node

import (
	"slices"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func indexPod(name, node, secret string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec: corev1.PodSpec{NodeName: node, Volumes: []corev1.Volume{
			{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}},
		}},
	}
}

// secretsOn lists the secrets the index gives node, sorted.
func secretsOn(x *podIndex, node string) []string {
	var out []string
	x.visit(node, "ns", func(r *podRefs) bool { out = append(out, r.secrets...); return false })
	sort.Strings(out)
	return out
}

// TestPodIndexChanges applies a sequence of pod changes and checks what each node may
// read after each.
func TestPodIndexChanges(t *testing.T) {
	mirror := indexPod("static", "a", "mirror-secret")
	mirror.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
	x := newPodIndex()
	steps := []struct {
		name   string
		apply  func()
		a, b   []string
		byKeys int
	}{
		{name: "bound pod", apply: func() { x.put(indexPod("p1", "a", "s1")) }, a: []string{"s1"}, byKeys: 1},
		{name: "unbound pod is not indexed", apply: func() { x.put(indexPod("p2", "", "s2")) }, a: []string{"s1"}, byKeys: 1},
		{name: "mirror pod is not indexed", apply: func() { x.put(mirror) }, a: []string{"s1"}, byKeys: 1},
		{name: "pod bound later", apply: func() { x.put(indexPod("p2", "b", "s2")) }, a: []string{"s1"}, b: []string{"s2"}, byKeys: 2},
		{name: "pod replaced with new references", apply: func() { x.put(indexPod("p1", "a", "s3")) }, a: []string{"s3"}, b: []string{"s2"}, byKeys: 2},
		{name: "deleted pod", apply: func() { x.remove("ns/p2") }, a: []string{"s3"}, byKeys: 1},
		{name: "deleting an unknown pod", apply: func() { x.remove("ns/nope") }, a: []string{"s3"}, byKeys: 1},
		{name: "resync drops what it did not see", apply: func() {
			x.put(indexPod("p4", "b", "s4"))
			x.pruneExcept(map[string]bool{"ns/p4": true})
		}, b: []string{"s4"}, byKeys: 1},
	}
	for _, s := range steps {
		s.apply()
		if got := secretsOn(x, "a"); !slices.Equal(got, s.a) {
			t.Errorf("after %s: node a reads %q, want %q", s.name, got, s.a)
		}
		if got := secretsOn(x, "b"); !slices.Equal(got, s.b) {
			t.Errorf("after %s: node b reads %q, want %q", s.name, got, s.b)
		}
		if len(x.byKey) != s.byKeys || len(x.byNode) > s.byKeys {
			t.Errorf("after %s: %d pods in %d nodes, want %d pods", s.name, len(x.byKey), len(x.byNode), s.byKeys)
		}
	}
}
