package node

import (
	"iter"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/request"
)

func ptr[T any](v T) *T { return &v }

// referencingPod references one object through every kind of reference the kubelet
// follows.
func referencingPod() *corev1.Pod {
	envFromSecret := corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "envfrom-secret"}}}
	envFromCM := corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "envfrom-cm"}}}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}, {Name: ""}},
			InitContainers:   []corev1.Container{{Name: "init", EnvFrom: []corev1.EnvFromSource{envFromSecret}}},
			Containers: []corev1.Container{{Name: "main", EnvFrom: []corev1.EnvFromSource{envFromCM}, Env: []corev1.EnvVar{
				{Name: "A", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "env-secret"}, Key: "k"}}},
				{Name: "B", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "env-cm"}, Key: "k"}}},
				{Name: "C", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			}}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Env: []corev1.EnvVar{
				{Name: "D", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "debug-secret"}, Key: "k"}}},
			}}}},
			Volumes: []corev1.Volume{
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "vol-secret"}}},
				{Name: "c", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "vol-cm"}}}},
				{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "proj-secret"}}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "proj-cm"}}},
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				}}}},
				{Name: "csi", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "d", NodePublishSecretRef: &corev1.LocalObjectReference{Name: "csi-secret"}}}},
				{Name: "rbd", VolumeSource: corev1.VolumeSource{RBD: &corev1.RBDVolumeSource{SecretRef: &corev1.LocalObjectReference{Name: "rbd-secret"}}}},
				{Name: "azure", VolumeSource: corev1.VolumeSource{AzureFile: &corev1.AzureFileVolumeSource{SecretName: "azure-secret"}}},
				{Name: "iscsi", VolumeSource: corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-claim"}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
			},
			ResourceClaims: []corev1.PodResourceClaim{
				{Name: "gpu", ResourceClaimName: ptr("shared-gpu")},
				{Name: "tmpl", ResourceClaimTemplateName: ptr("gpu-template")},
				{Name: "pending", ResourceClaimTemplateName: ptr("gpu-template")},
			},
		},
		Status: corev1.PodStatus{
			ResourceClaimStatuses: []corev1.PodResourceClaimStatus{
				{Name: "tmpl", ResourceClaimName: ptr("web-tmpl-x7k2p")},
				{Name: "pending"},
			},
			ExtendedResourceClaimStatus: &corev1.PodExtendedResourceClaimStatus{ResourceClaimName: "web-extended-resources-q9"},
		},
	}
}

func TestPodReferences(t *testing.T) {
	pod := referencingPod()
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{name: "secrets", got: slices.Collect(secretNames(pod)), want: []string{
			"pull", "envfrom-secret", "env-secret", "debug-secret",
			"vol-secret", "proj-secret", "csi-secret", "rbd-secret", "azure-secret",
		}},
		{name: "configmaps", got: slices.Collect(configMapNames(pod)), want: []string{"envfrom-cm", "env-cm", "vol-cm", "proj-cm"}},
		{name: "claims include the generic ephemeral volume's", got: slices.Collect(claimNames(pod)), want: []string{"data-claim", "web-scratch"}},
		{name: "resource claims named, generated and extended", got: slices.Collect(resourceClaimNames(pod)), want: []string{"shared-gpu", "web-tmpl-x7k2p", "web-extended-resources-q9"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.got, tc.want) {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// TestReferenceIteratorsStopEarly checks that every iterator honours a break, which
// would otherwise panic in the range-over-func runtime.
func TestReferenceIteratorsStopEarly(t *testing.T) {
	pod := referencingPod()
	for name, seq := range map[string]func(*corev1.Pod) iter.Seq[string]{
		"secrets": secretNames, "configmaps": configMapNames, "claims": claimNames, "resource claims": resourceClaimNames,
	} {
		t.Run(name, func(t *testing.T) {
			all := slices.Collect(seq(pod))
			for stopAt := range all {
				n := 0
				for range seq(pod) {
					if n == stopAt {
						break
					}
					n++
				}
				if n != stopAt {
					t.Fatalf("stopped after %d names, want %d", n, stopAt)
				}
			}
		})
	}
}

func TestPVSecrets(t *testing.T) {
	claim := &corev1.ObjectReference{Namespace: "app", Name: "data"}
	tests := []struct {
		name string
		pv   corev1.PersistentVolumeSource
		want []secretRef
	}{
		{name: "csi: controller secrets are not for the kubelet", pv: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
			ControllerPublishSecretRef: &corev1.SecretReference{Namespace: "ctl", Name: "publish"},
			ControllerExpandSecretRef:  &corev1.SecretReference{Namespace: "ctl", Name: "expand"},
			NodePublishSecretRef:       &corev1.SecretReference{Namespace: "csi", Name: "node-publish"},
			NodeStageSecretRef:         &corev1.SecretReference{Namespace: "csi", Name: "node-stage"},
			NodeExpandSecretRef:        &corev1.SecretReference{Namespace: "csi", Name: "node-expand"},
		}}, want: []secretRef{
			{"ctl", "publish", false}, {"ctl", "expand", false},
			{"csi", "node-publish", true}, {"csi", "node-stage", true}, {"csi", "node-expand", true},
		}},
		{name: "rbd without a namespace uses the claim's", pv: corev1.PersistentVolumeSource{RBD: &corev1.RBDPersistentVolumeSource{
			SecretRef: &corev1.SecretReference{Name: "ceph"}}}, want: []secretRef{{"app", "ceph", true}}},
		{name: "cephfs with its own namespace", pv: corev1.PersistentVolumeSource{CephFS: &corev1.CephFSPersistentVolumeSource{
			SecretRef: &corev1.SecretReference{Namespace: "storage", Name: "ceph"}}}, want: []secretRef{{"storage", "ceph", true}}},
		{name: "azure file defaults to the claim namespace", pv: corev1.PersistentVolumeSource{AzureFile: &corev1.AzureFilePersistentVolumeSource{
			SecretName: "azure"}}, want: []secretRef{{"app", "azure", true}}},
		{name: "azure file with a namespace", pv: corev1.PersistentVolumeSource{AzureFile: &corev1.AzureFilePersistentVolumeSource{
			SecretName: "azure", SecretNamespace: ptr("vault")}}, want: []secretRef{{"vault", "azure", true}}},
		{name: "storageos keeps its own namespace", pv: corev1.PersistentVolumeSource{StorageOS: &corev1.StorageOSPersistentVolumeSource{
			SecretRef: &corev1.ObjectReference{Name: "sos"}}}, want: []secretRef{{"", "sos", true}}},
		{name: "no secret", pv: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}},
		{name: "empty name is no reference", pv: corev1.PersistentVolumeSource{ISCSI: &corev1.ISCSIPersistentVolumeSource{
			SecretRef: &corev1.SecretReference{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pv := &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: tc.pv, ClaimRef: claim}}
			got := slices.Collect(pvSecrets(pv))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		groups []string
		node   string
		isNode bool
	}{
		{name: "kubelet", user: "system:node:worker-1", groups: []string{"system:nodes", "system:authenticated"}, node: "worker-1", isNode: true},
		{name: "node name without the group", user: "system:node:worker-1", groups: []string{"system:authenticated"}},
		{name: "group without the node name", user: "alice", groups: []string{"system:nodes"}},
		{name: "prefix only", user: "system:node:", groups: []string{"system:nodes"}, isNode: true},
		{name: "prefix is case-sensitive", user: "System:Node:worker-1", groups: []string{"system:nodes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			node, isNode := Identity(&request.User{Name: tc.user, Groups: tc.groups})
			if node != tc.node || isNode != tc.isNode {
				t.Errorf("Identity(%q, %q) = %q, %v; want %q, %v", tc.user, tc.groups, node, isNode, tc.node, tc.isNode)
			}
		})
	}
	if _, isNode := Identity(nil); isNode {
		t.Error("a nil user is a node")
	}
}
