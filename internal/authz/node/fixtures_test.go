package node_test

import (
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func ptr[T any](v T) *T { return &v }

func local(name string) corev1.LocalObjectReference { return corev1.LocalObjectReference{Name: name} }

// podOn returns a minimal valid pod of namespace ns bound to node ("" for unscheduled).
func podOn(ns, name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			NodeName:   node,
			Containers: []corev1.Container{{Name: "main", Image: "registry.example/app:1"}},
		},
	}
}

func withSecretVolume(p *corev1.Pod, volume, secret string) *corev1.Pod {
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}}})
	return p
}

func withClaimVolume(p *corev1.Pod, volume, claim string) *corev1.Pod {
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	return p
}

// webPod is bound to node-a and reaches objects through each kind of reference.
func webPod() *corev1.Pod {
	p := podOn("ns", "web", "node-a")
	p.Spec.ServiceAccountName = "web-sa"
	p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{local("pull-secret")}
	p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: local("envfrom-cm")}}}
	p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: local("env-secret"), Key: "password"}}}}
	withSecretVolume(p, "certs", "vol-secret")
	withClaimVolume(p, "data", "claim-a")
	p.Spec.Volumes = append(p.Spec.Volumes,
		corev1.Volume{Name: "projected", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{Secret: &corev1.SecretProjection{LocalObjectReference: local("proj-secret")}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: local("proj-cm")}},
		}}}},
		corev1.Volume{Name: "inline", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "csi.example.com", NodePublishSecretRef: ptr(local("csi-secret"))}}},
		corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}}}},
	)
	p.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "gpu", ResourceClaimName: ptr("shared-gpu")}}
	return p
}

// csiVolume is a PV bound to ns/claim whose node-publish secret is secretsNS/secret.
func csiVolume(name, claim, secret string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			ClaimRef:    &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: "ns", Name: claim},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: "csi.example.com", VolumeHandle: name,
				NodePublishSecretRef:       &corev1.SecretReference{Namespace: "secrets-ns", Name: secret},
				ControllerPublishSecretRef: &corev1.SecretReference{Namespace: "secrets-ns", Name: name + "-controller-secret"},
			}},
		},
	}
}

// boundClaim is a claim of namespace ns bound to volume.
func boundClaim(name, volume string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			VolumeName:  volume,
		},
	}
}

func attachment(name, node string) *storagev1.VolumeAttachment {
	return &storagev1.VolumeAttachment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: storagev1.VolumeAttachmentSpec{Attacher: "csi.example.com", NodeName: node,
			Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr("pv-a")}},
	}
}

func slice(name, node string) *resourcev1.ResourceSlice {
	return &resourcev1.ResourceSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: resourcev1.ResourceSliceSpec{Driver: "gpu.example.com", NodeName: ptr(node),
			Pool: resourcev1.ResourcePool{Name: node, Generation: 1, ResourceSliceCount: 1}},
	}
}

func podCertificateRequest(name, node string) *certificatesv1.PodCertificateRequest {
	return &certificatesv1.PodCertificateRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec: certificatesv1.PodCertificateRequestSpec{
			SignerName: "example.com/signer", PodName: "web", PodUID: "pod-uid",
			ServiceAccountName: "web-sa", ServiceAccountUID: "sa-uid", NodeName: "node-a", NodeUID: "node-uid",
			MaxExpirationSeconds: ptr(int32(86400)), StubPKCS10Request: []byte("stub"),
		},
	}
}

// populate stores the cluster the authorizer tests decide on.
func populate(t testing.TB, ts *testStores) {
	t.Helper()
	ts.create(t, "pods", webPod())
	b := withClaimVolume(withSecretVolume(podOn("ns", "other", "node-b"), "certs", "b-secret"), "data", "claim-b")
	b.Spec.ServiceAccountName = "other-sa"
	ts.create(t, "pods", b)
	mirror := withSecretVolume(podOn("ns", "static", "node-a"), "certs", "mirror-secret")
	mirror.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "hash"}
	ts.create(t, "pods", mirror)
	ts.create(t, "pods", withSecretVolume(podOn("ns", "pending", ""), "certs", "pending-secret"))
	ts.create(t, "persistentvolumes", csiVolume("pv-a", "claim-a", "pv-a-secret"))
	ts.create(t, "persistentvolumeclaims", boundClaim("claim-a", "pv-a"))
	ts.create(t, "persistentvolumeclaims", boundClaim("claim-b", "pv-b"))
	// The web pod's ephemeral claim names node B's volume, which does not name it back:
	// that volume's secret stays out of node A's reach.
	ts.create(t, "persistentvolumeclaims", boundClaim("web-scratch", "pv-b"))
	ts.create(t, "persistentvolumes", csiVolume("pv-b", "claim-b", "pv-b-secret"))
	ts.create(t, "volumeattachments.storage.k8s.io", attachment("va-a", "node-a"))
	ts.create(t, "volumeattachments.storage.k8s.io", attachment("va-b", "node-b"))
	ts.create(t, "resourceslices.resource.k8s.io", slice("slice-a", "node-a"))
	ts.create(t, "resourceslices.resource.k8s.io", slice("slice-b", "node-b"))
	ts.create(t, "podcertificaterequests.certificates.k8s.io", podCertificateRequest("pcr-a", "node-a"))
	pcrB := podCertificateRequest("pcr-b", "node-b")
	pcrB.Spec.NodeName = "node-b"
	ts.create(t, "podcertificaterequests.certificates.k8s.io", pcrB)
	ts.sync(t)
}
