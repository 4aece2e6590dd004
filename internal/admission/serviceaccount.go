package admission

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func init() {
	Factories["ServiceAccount"] = func(d Deps, _ []byte) (any, error) {
		return serviceAccount{d: d, retryDefault: 10, retryWait: 100 * time.Millisecond}, nil
	}
}

const (
	defaultServiceAccount = "default"
	tokenVolumePrefix     = "kube-api-access-"
	tokenMountPath        = "/var/run/secrets/kubernetes.io/serviceaccount"
	mirrorPodAnnotation   = "kubernetes.io/config.mirror"
	// enforceMountableSecretsAnnotation on a service account limits its pods to the
	// secrets it lists.
	enforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets"
	// tokenExpirationSeconds is the projected token's life: an hour and seven
	// seconds, which marks the token as one that is extended and warned about.
	tokenExpirationSeconds = 60*60 + 7
)

// serviceAccount gives pods their service account ("default" when unnamed), its
// image pull secrets and the kube-api-access projected volume, and enforces the
// account's mountable secrets when it asks for it.
type serviceAccount struct {
	d Deps
	// retryDefault is how many live reads wait for a "default" account that the
	// service account controller may still be creating.
	retryDefault int
	retryWait    time.Duration
}

func (p serviceAccount) pod(a *endpoints.Attributes) *corev1.Pod {
	if a.Resource.Group != "" || a.Resource.Resource != "pods" || (a.Subresource != "" && a.Subresource != "ephemeralcontainers") {
		return nil
	}
	pod, _ := a.Object.(*corev1.Pod)
	return pod
}

func (p serviceAccount) Admit(ctx context.Context, a *endpoints.Attributes) error {
	pod := p.pod(a)
	if pod == nil || a.Operation != "CREATE" {
		return nil
	}
	if _, mirror := pod.Annotations[mirrorPodAnnotation]; mirror {
		return p.Validate(ctx, a)
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = defaultServiceAccount
		pod.Spec.DeprecatedServiceAccount = defaultServiceAccount
	}
	sa, err := p.get(ctx, a.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return forbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.Namespace, pod.Spec.ServiceAccountName, err))
	}
	if automount(sa, pod) {
		mountToken(pod)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 {
		for _, s := range sa.ImagePullSecrets {
			pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s.Name})
		}
	}
	return p.Validate(ctx, a)
}

func (p serviceAccount) Validate(ctx context.Context, a *endpoints.Attributes) error {
	pod := p.pod(a)
	if pod == nil {
		return nil
	}
	if a.Operation == "UPDATE" && a.Subresource == "ephemeralcontainers" {
		return p.validateEphemeral(ctx, a, pod)
	}
	if a.Operation != "CREATE" || a.Subresource != "" {
		return nil
	}
	if _, mirror := pod.Annotations[mirrorPodAnnotation]; mirror {
		return validateMirrorPod(a, pod)
	}
	if pod.Spec.ServiceAccountName == "" {
		return forbidden(a, fmt.Errorf("no service account specified for pod %s/%s", a.Namespace, pod.Name))
	}
	sa, err := p.get(ctx, a.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return forbidden(a, fmt.Errorf("error looking up service account %s/%s: %v", a.Namespace, pod.Spec.ServiceAccountName, err))
	}
	if enforceMountable(sa) {
		if err := limitSecretReferences(sa, pod); err != nil {
			return forbidden(a, err)
		}
	}
	return nil
}

func (p serviceAccount) validateEphemeral(ctx context.Context, a *endpoints.Attributes, pod *corev1.Pod) error {
	if pod.Spec.ServiceAccountName == "" {
		return forbidden(a, fmt.Errorf("no service account specified for pod %s/%s", a.Namespace, pod.Name))
	}
	sa, err := p.get(ctx, a.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return forbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.Namespace, pod.Spec.ServiceAccountName, err))
	}
	if !enforceMountable(sa) {
		return nil
	}
	allowed := mountableSecrets(sa)
	for _, c := range pod.Spec.EphemeralContainers {
		if err := checkEnvSecrets("ephemeral container", c.Name, c.Env, c.EnvFrom, allowed, sa.Name); err != nil {
			return err
		}
	}
	return nil
}

// get reads the account from the cache, then from storage; "default" is waited for
// a while since the controller creates it just after the namespace.
func (p serviceAccount) get(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	r := p.d.Readers(serviceAccountsGVR)
	if r == nil {
		return nil, errNotServed
	}
	obj, err := r.Get(ctx, ns, name, &metav1.GetOptions{ResourceVersion: "0"})
	attempts := 1
	if name == defaultServiceAccount {
		attempts = p.retryDefault
	}
	for i := 0; apierrors.IsNotFound(err) && i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(p.retryWait):
			}
		}
		obj, err = r.Get(ctx, ns, name, &metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, apierrors.NewNotFound(corev1.Resource("serviceaccount"), name)
	}
	if err != nil {
		return nil, err
	}
	sa, ok := obj.(*corev1.ServiceAccount)
	if !ok {
		return nil, fmt.Errorf("unexpected %T", obj)
	}
	return sa, nil
}

func automount(sa *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

func enforceMountable(sa *corev1.ServiceAccount) bool {
	v, _ := strconv.ParseBool(sa.Annotations[enforceMountableSecretsAnnotation])
	return v
}

// mountToken mounts the kube-api-access volume into every container that does not
// mount something at the token path already.
func mountToken(pod *corev1.Pod) {
	volume, haveVolume := "", false
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, tokenVolumePrefix) {
			volume, haveVolume = v.Name, true
			break
		}
	}
	if volume == "" {
		volume = tokenVolumePrefix + utilrand.String(5)
	}
	mount := corev1.VolumeMount{Name: volume, ReadOnly: true, MountPath: tokenMountPath}
	needed := false
	for _, containers := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range containers {
			mounted := false
			for _, m := range containers[i].VolumeMounts {
				if m.MountPath == tokenMountPath {
					mounted = true
					break
				}
			}
			if !mounted {
				containers[i].VolumeMounts = append(containers[i].VolumeMounts, mount)
				needed = true
			}
		}
	}
	if needed && !haveVolume {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: volume,
			VolumeSource: corev1.VolumeSource{Projected: tokenVolumeSource()}})
	}
}

// tokenVolumeSource is the projected volume every pod gets: a bound token, the
// cluster CA and the namespace.
func tokenVolumeSource() *corev1.ProjectedVolumeSource {
	mode := corev1.ProjectedVolumeSourceDefaultMode
	exp := int64(tokenExpirationSeconds)
	return &corev1.ProjectedVolumeSource{
		DefaultMode: &mode,
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &exp}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
				Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
			}}}},
		},
	}
}

func mountableSecrets(sa *corev1.ServiceAccount) map[string]bool {
	m := map[string]bool{}
	for _, s := range sa.Secrets {
		m[s.Name] = true
	}
	return m
}

// limitSecretReferences refuses secrets the account does not list.
func limitSecretReferences(sa *corev1.ServiceAccount, pod *corev1.Pod) error {
	allowed := mountableSecrets(sa)
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil && !allowed[v.Secret.SecretName] {
			return fmt.Errorf("volume with secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", v.Secret.SecretName, sa.Name)
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if err := checkEnvSecrets("init container", c.Name, c.Env, c.EnvFrom, allowed, sa.Name); err != nil {
			return err
		}
	}
	for _, c := range pod.Spec.Containers {
		if err := checkEnvSecrets("container", c.Name, c.Env, c.EnvFrom, allowed, sa.Name); err != nil {
			return err
		}
	}
	pull := map[string]bool{}
	for _, s := range sa.ImagePullSecrets {
		pull[s.Name] = true
	}
	for i, ref := range pod.Spec.ImagePullSecrets {
		if !pull[ref.Name] {
			return fmt.Errorf(`imagePullSecrets[%d].name="%s" is not allowed because service account %s does not reference that imagePullSecret`, i, ref.Name, sa.Name)
		}
	}
	return nil
}

func checkEnvSecrets(kind, name string, env []corev1.EnvVar, from []corev1.EnvFromSource, allowed map[string]bool, sa string) error {
	for _, e := range env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !allowed[e.ValueFrom.SecretKeyRef.Name] {
			return fmt.Errorf("%s %s with envVar %s referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, name, e.Name, e.ValueFrom.SecretKeyRef.Name, sa)
		}
	}
	for _, f := range from {
		if f.SecretRef != nil && !allowed[f.SecretRef.Name] {
			return fmt.Errorf("%s %s with envFrom referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, name, f.SecretRef.Name, sa)
		}
	}
	return nil
}

// validateMirrorPod refuses mirror pods (static pods the kubelet reflects) that
// reference accounts, secrets or tokens.
func validateMirrorPod(a *endpoints.Attributes, pod *corev1.Pod) error {
	if pod.Spec.ServiceAccountName != "" {
		return forbidden(a, errors.New("a mirror pod may not reference service accounts"))
	}
	if podReferencesSecrets(pod) {
		return forbidden(a, errors.New("a mirror pod may not reference secrets"))
	}
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return forbidden(a, errors.New("a mirror pod may not use ServiceAccountToken volume projections"))
			}
		}
	}
	return nil
}

func podReferencesSecrets(pod *corev1.Pod) bool {
	if len(pod.Spec.ImagePullSecrets) > 0 {
		return true
	}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.Secret != nil,
			v.CephFS != nil && v.CephFS.SecretRef != nil,
			v.Cinder != nil && v.Cinder.SecretRef != nil,
			v.FlexVolume != nil && v.FlexVolume.SecretRef != nil,
			v.RBD != nil && v.RBD.SecretRef != nil,
			v.ScaleIO != nil && v.ScaleIO.SecretRef != nil,
			v.ISCSI != nil && v.ISCSI.SecretRef != nil,
			v.StorageOS != nil && v.StorageOS.SecretRef != nil,
			v.CSI != nil && v.CSI.NodePublishSecretRef != nil,
			v.AzureFile != nil:
			return true
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					return true
				}
			}
		}
	}
	all := append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				return true
			}
		}
		for _, f := range c.EnvFrom {
			if f.SecretRef != nil {
				return true
			}
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				return true
			}
		}
		for _, f := range c.EnvFrom {
			if f.SecretRef != nil {
				return true
			}
		}
	}
	return false
}
