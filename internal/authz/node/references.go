package node

import (
	"iter"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// What a pod bound to a node lets the node read. A mirror pod (created by the kubelet
// from a static manifest) grants nothing, so that a node cannot grant itself access by
// creating a pod.

// isMirrorPod reports whether pod is the API mirror of a static pod.
func isMirrorPod(pod *corev1.Pod) bool {
	_, ok := pod.Annotations[corev1.MirrorPodAnnotationKey]
	return ok
}

// containers yields the init, regular and ephemeral containers of spec.
func containers(spec *corev1.PodSpec) iter.Seq[*corev1.Container] {
	return func(yield func(*corev1.Container) bool) {
		for i := range spec.InitContainers {
			if !yield(&spec.InitContainers[i]) {
				return
			}
		}
		for i := range spec.Containers {
			if !yield(&spec.Containers[i]) {
				return
			}
		}
		for i := range spec.EphemeralContainers {
			if !yield((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon)) {
				return
			}
		}
	}
}

// nonEmpty drops empty names, which reference nothing.
func nonEmpty(yield func(string) bool) func(string) bool {
	return func(name string) bool { return name == "" || yield(name) }
}

// secretNames yields the secrets pod references: image pull secrets, env and envFrom
// of every container, and the secret of each volume source that names one (the
// source a volume uses, as the kubelet sees it).
func secretNames(pod *corev1.Pod) iter.Seq[string] {
	return func(yield func(string) bool) {
		yield = nonEmpty(yield)
		for _, ref := range pod.Spec.ImagePullSecrets {
			if !yield(ref.Name) {
				return
			}
		}
		for c := range containers(&pod.Spec) {
			for _, from := range c.EnvFrom {
				if from.SecretRef != nil && !yield(from.SecretRef.Name) {
					return
				}
			}
			for _, env := range c.Env {
				if env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil && !yield(env.ValueFrom.SecretKeyRef.Name) {
					return
				}
			}
		}
		for i := range pod.Spec.Volumes {
			if !volumeSecretNames(&pod.Spec.Volumes[i].VolumeSource, yield) {
				return
			}
		}
	}
}

// volumeSecretNames yields the secrets of the one source a volume uses; it returns
// false when yield asked to stop.
func volumeSecretNames(src *corev1.VolumeSource, yield func(string) bool) bool {
	ref := func(r *corev1.LocalObjectReference) bool { return r == nil || yield(r.Name) }
	switch {
	case src.AzureFile != nil:
		return yield(src.AzureFile.SecretName)
	case src.CephFS != nil:
		return ref(src.CephFS.SecretRef)
	case src.Cinder != nil:
		return ref(src.Cinder.SecretRef)
	case src.FlexVolume != nil:
		return ref(src.FlexVolume.SecretRef)
	case src.Projected != nil:
		for _, p := range src.Projected.Sources {
			if p.Secret != nil && !yield(p.Secret.Name) {
				return false
			}
		}
		return true
	case src.RBD != nil:
		return ref(src.RBD.SecretRef)
	case src.Secret != nil:
		return yield(src.Secret.SecretName)
	case src.ScaleIO != nil:
		return ref(src.ScaleIO.SecretRef)
	case src.ISCSI != nil:
		return ref(src.ISCSI.SecretRef)
	case src.StorageOS != nil:
		return ref(src.StorageOS.SecretRef)
	case src.CSI != nil:
		return ref(src.CSI.NodePublishSecretRef)
	}
	return true
}

// configMapNames yields the configmaps pod references: env and envFrom of every
// container, configMap volumes and projected configMap sources.
func configMapNames(pod *corev1.Pod) iter.Seq[string] {
	return func(yield func(string) bool) {
		yield = nonEmpty(yield)
		for c := range containers(&pod.Spec) {
			for _, from := range c.EnvFrom {
				if from.ConfigMapRef != nil && !yield(from.ConfigMapRef.Name) {
					return
				}
			}
			for _, env := range c.Env {
				if env.ValueFrom != nil && env.ValueFrom.ConfigMapKeyRef != nil && !yield(env.ValueFrom.ConfigMapKeyRef.Name) {
					return
				}
			}
		}
		for _, v := range pod.Spec.Volumes {
			switch {
			case v.Projected != nil:
				for _, p := range v.Projected.Sources {
					if p.ConfigMap != nil && !yield(p.ConfigMap.Name) {
						return
					}
				}
			case v.ConfigMap != nil:
				if !yield(v.ConfigMap.Name) {
					return
				}
			}
		}
	}
}

// claimNames yields the PersistentVolumeClaims pod uses: those its volumes name and
// those generic ephemeral volumes get, named "<pod>-<volume>".
func claimNames(pod *corev1.Pod) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, v := range pod.Spec.Volumes {
			name := ""
			switch {
			case v.PersistentVolumeClaim != nil:
				name = v.PersistentVolumeClaim.ClaimName
			case v.Ephemeral != nil:
				name = pod.Name + "-" + v.Name
			}
			if name != "" && !yield(name) {
				return
			}
		}
	}
}

// resourceClaimNames yields the ResourceClaims of pod: those it names, those generated
// from its templates as recorded in its status, and the claim made for its extended
// resources. A template whose claim is not recorded yet yields nothing.
func resourceClaimNames(pod *corev1.Pod) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, c := range pod.Spec.ResourceClaims {
			name := ""
			switch {
			case c.ResourceClaimName != nil:
				name = *c.ResourceClaimName
			case c.ResourceClaimTemplateName != nil:
				name = generatedClaimName(pod, c.Name)
			}
			if name != "" && !yield(name) {
				return
			}
		}
		if s := pod.Status.ExtendedResourceClaimStatus; s != nil && s.ResourceClaimName != "" {
			yield(s.ResourceClaimName)
		}
	}
}

// generatedClaimName is the name status records for the claim of the pod's claim entry.
func generatedClaimName(pod *corev1.Pod, entry string) string {
	for _, s := range pod.Status.ResourceClaimStatuses {
		if s.Name == entry && s.ResourceClaimName != nil {
			return *s.ResourceClaimName
		}
	}
	return ""
}

// secretRef is a secret a PersistentVolume names; kubeletVisible is false for the
// secrets only the CSI controller uses, which a node never gets.
type secretRef struct {
	namespace, name string
	kubeletVisible  bool
}

// pvSecrets yields the secrets pv's source references. A reference without a namespace
// of its own means the namespace of the claim the volume is bound to.
func pvSecrets(pv *corev1.PersistentVolume) iter.Seq[secretRef] {
	return func(yield func(secretRef) bool) {
		claimNS := ""
		if pv.Spec.ClaimRef != nil {
			claimNS = pv.Spec.ClaimRef.Namespace
		}
		orClaimNS := func(ns string) string {
			if ns != "" {
				return ns
			}
			return claimNS
		}
		emit := func(ns, name string, visible bool) bool {
			return name == "" || yield(secretRef{namespace: ns, name: name, kubeletVisible: visible})
		}
		ref := func(r *corev1.SecretReference, defaultNS bool, visible bool) bool {
			if r == nil {
				return true
			}
			ns := r.Namespace
			if defaultNS {
				ns = orClaimNS(ns)
			}
			return emit(ns, r.Name, visible)
		}
		src := &pv.Spec.PersistentVolumeSource
		switch {
		case src.AzureFile != nil:
			ns := claimNS
			if src.AzureFile.SecretNamespace != nil && *src.AzureFile.SecretNamespace != "" {
				ns = *src.AzureFile.SecretNamespace
			}
			emit(ns, src.AzureFile.SecretName, true)
		case src.CephFS != nil:
			ref(src.CephFS.SecretRef, true, true)
		case src.Cinder != nil:
			ref(src.Cinder.SecretRef, false, true)
		case src.FlexVolume != nil:
			ref(src.FlexVolume.SecretRef, true, true)
		case src.RBD != nil:
			ref(src.RBD.SecretRef, true, true)
		case src.ScaleIO != nil:
			ref(src.ScaleIO.SecretRef, true, true)
		case src.ISCSI != nil:
			ref(src.ISCSI.SecretRef, true, true)
		case src.StorageOS != nil:
			if r := src.StorageOS.SecretRef; r != nil {
				emit(r.Namespace, r.Name, true)
			}
		case src.CSI != nil:
			csi := src.CSI
			_ = ref(csi.ControllerPublishSecretRef, false, false) &&
				ref(csi.ControllerExpandSecretRef, false, false) &&
				ref(csi.NodePublishSecretRef, false, true) &&
				ref(csi.NodeStageSecretRef, false, true) &&
				ref(csi.NodeExpandSecretRef, false, true)
		}
	}
}

// podRefs is what a bound pod (never a mirror pod) gives its node: the names, in the
// pod's namespace, of everything it references.
type podRefs struct {
	namespace, name string
	node            string
	serviceAccount  string
	secrets         []string
	configMaps      []string
	claims          []string
	resourceClaims  []string
}

// refsOf collects the references of pod; nil for a mirror or unbound pod, which
// gives its node nothing.
func refsOf(pod *corev1.Pod) *podRefs {
	if pod.Spec.NodeName == "" || isMirrorPod(pod) {
		return nil
	}
	return &podRefs{
		namespace:      pod.Namespace,
		name:           pod.Name,
		node:           pod.Spec.NodeName,
		serviceAccount: pod.Spec.ServiceAccountName,
		secrets:        slices.Collect(secretNames(pod)),
		configMaps:     slices.Collect(configMapNames(pod)),
		claims:         slices.Collect(claimNames(pod)),
		resourceClaims: slices.Collect(resourceClaimNames(pod)),
	}
}
