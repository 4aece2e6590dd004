package defaults

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// podSpec applies the defaults every PodSpec gets, in a Pod or in a template.
// New defaults must not be added here: they would change the hash of every
// existing workload template and roll it out on upgrade.
func podSpec(spec *corev1.PodSpec) {
	// serviceAccount is the deprecated alias of serviceAccountName; the new
	// name wins when both are set.
	if spec.ServiceAccountName == "" {
		spec.ServiceAccountName = spec.DeprecatedServiceAccount
	}
	spec.DeprecatedServiceAccount = spec.ServiceAccountName
	orDefault(&spec.DNSPolicy, corev1.DNSClusterFirst)
	orDefault(&spec.RestartPolicy, corev1.RestartPolicyAlways)
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	ptrOrDefault(&spec.TerminationGracePeriodSeconds, int64(corev1.DefaultTerminationGracePeriodSeconds))
	orDefault(&spec.SchedulerName, corev1.DefaultSchedulerName)

	for i := range spec.Volumes {
		volume(&spec.Volumes[i])
	}
	for i := range spec.InitContainers {
		container(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		container(&spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		container((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
	roundResourceList(spec.Overhead)
	if spec.Resources != nil {
		resourceRequirements(spec.Resources)
	}
}

// container defaults a regular, init or ephemeral container (they share one
// shape) and everything nested in it.
func container(c *corev1.Container) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = pullPolicyFor(c.Image)
	}
	orDefault(&c.TerminationMessagePath, corev1.TerminationMessagePathDefault)
	orDefault(&c.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	for i := range c.Ports {
		orDefault(&c.Ports[i].Protocol, corev1.ProtocolTCP)
	}
	for i := range c.Env {
		from := c.Env[i].ValueFrom
		if from == nil {
			continue
		}
		if from.FieldRef != nil {
			fieldSelector(from.FieldRef)
		}
		if from.FileKeyRef != nil {
			ptrOrDefault(&from.FileKeyRef.Optional, false)
		}
	}
	resourceRequirements(&c.Resources)
	probe(c.LivenessProbe)
	probe(c.ReadinessProbe)
	probe(c.StartupProbe)
	if c.Lifecycle != nil {
		lifecycleHandler(c.Lifecycle.PostStart)
		lifecycleHandler(c.Lifecycle.PreStop)
	}
}

// probe fills in the timing and threshold defaults of a probe, if there is one.
func probe(p *corev1.Probe) {
	if p == nil {
		return
	}
	orDefault(&p.TimeoutSeconds, 1)
	orDefault(&p.PeriodSeconds, 10)
	orDefault(&p.SuccessThreshold, 1)
	orDefault(&p.FailureThreshold, 3)
	if p.HTTPGet != nil {
		httpGet(p.HTTPGet)
	}
	if p.GRPC != nil {
		ptrOrDefault(&p.GRPC.Service, "")
	}
}

// lifecycleHandler defaults the HTTP action of a postStart or preStop hook.
func lifecycleHandler(h *corev1.LifecycleHandler) {
	if h != nil && h.HTTPGet != nil {
		httpGet(h.HTTPGet)
	}
}

func httpGet(a *corev1.HTTPGetAction) {
	orDefault(&a.Path, "/")
	orDefault(&a.Scheme, corev1.URISchemeHTTP)
}

// fieldSelector defaults the API version a downward API field path refers to.
func fieldSelector(s *corev1.ObjectFieldSelector) {
	orDefault(&s.APIVersion, "v1")
}

// volume defaults a pod volume: a volume with no source at all is an emptyDir,
// and each source type fills in its own defaults.
func volume(v *corev1.Volume) {
	if v.VolumeSource == (corev1.VolumeSource{}) {
		v.EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	src := &v.VolumeSource
	if src.Image != nil && src.Image.PullPolicy == "" {
		src.Image.PullPolicy = pullPolicyFor(src.Image.Reference)
	}
	if src.HostPath != nil {
		ptrOrDefault(&src.HostPath.Type, corev1.HostPathUnset)
	}
	if src.Secret != nil {
		ptrOrDefault(&src.Secret.DefaultMode, corev1.SecretVolumeSourceDefaultMode)
	}
	if src.ISCSI != nil {
		orDefault(&src.ISCSI.ISCSIInterface, "default")
	}
	if src.RBD != nil {
		rbd(&src.RBD.RBDPool, &src.RBD.RadosUser, &src.RBD.Keyring)
	}
	if src.DownwardAPI != nil {
		ptrOrDefault(&src.DownwardAPI.DefaultMode, corev1.DownwardAPIVolumeSourceDefaultMode)
		downwardAPIFiles(src.DownwardAPI.Items)
	}
	if src.ConfigMap != nil {
		ptrOrDefault(&src.ConfigMap.DefaultMode, corev1.ConfigMapVolumeSourceDefaultMode)
	}
	if src.AzureDisk != nil {
		azureDisk(src.AzureDisk)
	}
	if src.Projected != nil {
		projected(src.Projected)
	}
	if src.ScaleIO != nil {
		scaleIO(&src.ScaleIO.StorageMode, &src.ScaleIO.FSType)
	}
	if src.Ephemeral != nil && src.Ephemeral.VolumeClaimTemplate != nil {
		pvcSpec(&src.Ephemeral.VolumeClaimTemplate.Spec)
	}
}

func projected(p *corev1.ProjectedVolumeSource) {
	ptrOrDefault(&p.DefaultMode, corev1.ProjectedVolumeSourceDefaultMode)
	for i := range p.Sources {
		s := &p.Sources[i]
		if s.DownwardAPI != nil {
			downwardAPIFiles(s.DownwardAPI.Items)
		}
		if s.ServiceAccountToken != nil {
			ptrOrDefault(&s.ServiceAccountToken.ExpirationSeconds, int64(time.Hour/time.Second))
		}
	}
}

func downwardAPIFiles(items []corev1.DownwardAPIVolumeFile) {
	for i := range items {
		if items[i].FieldRef != nil {
			fieldSelector(items[i].FieldRef)
		}
	}
}

// rbd, scaleIO and azureDisk take the fields they default rather than a struct
// because pods and persistent volumes use different (but parallel) types.
func rbd(pool, user, keyring *string) {
	orDefault(pool, "rbd")
	orDefault(user, "admin")
	orDefault(keyring, "/etc/ceph/keyring")
}

func scaleIO(storageMode, fsType *string) {
	orDefault(storageMode, "ThinProvisioned")
	orDefault(fsType, "xfs")
}

func azureDisk(d *corev1.AzureDiskVolumeSource) {
	ptrOrDefault(&d.CachingMode, corev1.AzureDataDiskCachingReadWrite)
	ptrOrDefault(&d.FSType, "ext4")
	ptrOrDefault(&d.ReadOnly, false)
	ptrOrDefault(&d.Kind, corev1.AzureSharedBlobDisk)
}

// pvcSpec defaults a claim spec, whether in a claim, a StatefulSet's claim
// templates or a pod's ephemeral volume.
func pvcSpec(spec *corev1.PersistentVolumeClaimSpec) {
	ptrOrDefault(&spec.VolumeMode, corev1.PersistentVolumeFilesystem)
	roundResourceList(spec.Resources.Limits)
	roundResourceList(spec.Resources.Requests)
}

func resourceRequirements(r *corev1.ResourceRequirements) {
	roundResourceList(r.Limits)
	roundResourceList(r.Requests)
}

// roundResourceList rounds every quantity up to milli precision: finer values
// were never representable by older clients, so the API stores them rounded.
func roundResourceList(list corev1.ResourceList) {
	for name, q := range list {
		q.RoundUp(-3)
		list[name] = q
	}
}

// orDefault sets *p to def when it holds its zero value.
func orDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// ptrOrDefault points *p at a fresh copy of def when it is nil.
func ptrOrDefault[T any](p **T, def T) {
	if *p == nil {
		*p = &def
	}
}
