package defaults

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPullPolicyFor(t *testing.T) {
	sha256 := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	cases := []struct {
		name  string
		image string
		want  corev1.PullPolicy
	}{
		{"docker hub name without tag", "nginx", corev1.PullAlways},
		{"latest tag", "nginx:latest", corev1.PullAlways},
		{"fixed tag", "nginx:1.27", corev1.PullIfNotPresent},
		{"tag that only starts with latest", "nginx:latest-alpine", corev1.PullIfNotPresent},
		{"digest only", "nginx@" + sha256, corev1.PullIfNotPresent},
		{"latest tag and digest", "nginx:latest@" + sha256, corev1.PullAlways},
		{"registry with port and no tag", "localhost:5000/app", corev1.PullAlways},
		{"registry with port and tag", "registry.example.com:5000/team/app:v2", corev1.PullIfNotPresent},
		{"localhost registry", "localhost/app", corev1.PullAlways},
		{"IPv6 registry", "[fd00::1]:5000/app:latest", corev1.PullAlways},
		{"legacy docker hub domain", "index.docker.io/library/busybox", corev1.PullAlways},
		{"upper case registry is allowed", "Registry.Example.com/app", corev1.PullAlways},
		{"separators in path", "gcr.io/my_org/my-app.v2__x", corev1.PullAlways},
		{"empty image", "", corev1.PullIfNotPresent},
		{"upper case repository does not parse", "Nginx", corev1.PullIfNotPresent},
		{"upper case repository under a registry does not parse", "quay.io/Org/app", corev1.PullIfNotPresent},
		{"64 hex characters is an ID, not a name", strings.Repeat("ab", 32), corev1.PullIfNotPresent},
		{"short digest does not parse", "nginx@sha256:abcd", corev1.PullIfNotPresent},
		{"unknown digest algorithm does not parse", "nginx@md5:" + strings.Repeat("a", 32), corev1.PullIfNotPresent},
		{"upper case digest hex does not parse", "nginx@sha256:" + strings.Repeat("AB", 32), corev1.PullIfNotPresent},
		{"tag too long does not parse", "nginx:" + strings.Repeat("a", 129), corev1.PullIfNotPresent},
		{"name too long does not parse", strings.Repeat("a", 250), corev1.PullIfNotPresent},
		{"trailing colon does not parse", "nginx:", corev1.PullIfNotPresent},
		{"space does not parse", "nginx latest", corev1.PullIfNotPresent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pullPolicyFor(tc.image); got != tc.want {
				t.Errorf("pullPolicyFor(%q) = %s, want %s", tc.image, got, tc.want)
			}
		})
	}
}
