package defaults

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// pod defaults a Pod. Besides the PodSpec defaults it applies the rules that
// upstream keeps off pod templates (see the package documentation).
func pod(p *corev1.Pod) {
	spec := &p.Spec
	// A negative grace period would mean "kill at once" to some kubelets; the
	// API clamps it to the shortest graceful period.
	if spec.TerminationGracePeriodSeconds != nil && *spec.TerminationGracePeriodSeconds < 0 {
		one := int64(1)
		spec.TerminationGracePeriodSeconds = &one
	}
	// A container that sets only limits gets the same requests, so that the
	// scheduler reserves what the container may use.
	requestsFromLimits(spec.Containers)
	requestsFromLimits(spec.InitContainers)
	ptrOrDefault(&spec.EnableServiceLinks, corev1.DefaultEnableServiceLinks)
	if spec.HostNetwork {
		hostPortsFromContainerPorts(spec.Containers)
		hostPortsFromContainerPorts(spec.InitContainers)
	}

	podSpec(spec)
	podStatus(&p.Status)
}

func requestsFromLimits(containers []corev1.Container) {
	for i := range containers {
		r := &containers[i].Resources
		if r.Limits == nil {
			continue
		}
		if r.Requests == nil {
			r.Requests = make(corev1.ResourceList, len(r.Limits))
		}
		for name, limit := range r.Limits {
			if _, set := r.Requests[name]; !set {
				r.Requests[name] = limit.DeepCopy()
			}
		}
	}
}

// hostPortsFromContainerPorts makes the host port explicit for a pod on the
// host network, where a container port is a host port whether or not it says so.
func hostPortsFromContainerPorts(containers []corev1.Container) {
	for i := range containers {
		for j := range containers[i].Ports {
			port := &containers[i].Ports[j]
			orDefault(&port.HostPort, port.ContainerPort)
		}
	}
}

// podStatus keeps status.podIP and status.podIPs consistent; podIP wins when
// they disagree, because older kubelets only write podIP.
func podStatus(s *corev1.PodStatus) {
	switch {
	case s.PodIP != "" && (len(s.PodIPs) == 0 || s.PodIPs[0].IP != s.PodIP):
		s.PodIPs = []corev1.PodIP{{IP: s.PodIP}}
	case s.PodIP == "" && len(s.PodIPs) > 0:
		s.PodIP = s.PodIPs[0].IP
	}
	statuses := [][]corev1.ContainerStatus{s.InitContainerStatuses, s.ContainerStatuses, s.EphemeralContainerStatuses}
	for _, list := range statuses {
		for i := range list {
			roundResourceList(list[i].AllocatedResources)
			if list[i].Resources != nil {
				resourceRequirements(list[i].Resources)
			}
		}
	}
	roundResourceList(s.AllocatedResources)
	if s.Resources != nil {
		resourceRequirements(s.Resources)
	}
}

func podTemplate(t *corev1.PodTemplate) {
	podSpec(&t.Template.Spec)
}

// replicationController defaults the selector and the controller's own labels
// from the template's labels, which is what made the old `kubectl run` work.
func replicationController(rc *corev1.ReplicationController) {
	if rc.Spec.Template != nil && rc.Spec.Template.Labels != nil {
		labels := rc.Spec.Template.Labels
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = labels
		}
		if len(rc.Labels) == 0 {
			rc.Labels = labels
		}
	}
	ptrOrDefault(&rc.Spec.Replicas, 1)
	if rc.Spec.Template != nil {
		podSpec(&rc.Spec.Template.Spec)
	}
}

func service(svc *corev1.Service) {
	spec := &svc.Spec
	orDefault(&spec.SessionAffinity, corev1.ServiceAffinityNone)
	switch spec.SessionAffinity {
	case corev1.ServiceAffinityNone:
		spec.SessionAffinityConfig = nil
	case corev1.ServiceAffinityClientIP:
		cfg := spec.SessionAffinityConfig
		if cfg == nil || cfg.ClientIP == nil || cfg.ClientIP.TimeoutSeconds == nil {
			timeout := corev1.DefaultClientIPServiceAffinitySeconds
			spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{
				ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: &timeout},
			}
		}
	}
	orDefault(&spec.Type, corev1.ServiceTypeClusterIP)
	for i := range spec.Ports {
		port := &spec.Ports[i]
		orDefault(&port.Protocol, corev1.ProtocolTCP)
		if port.TargetPort == intstr.FromInt32(0) || port.TargetPort == intstr.FromString("") {
			port.TargetPort = intstr.FromInt32(port.Port)
		}
	}

	externallyReachable := spec.Type == corev1.ServiceTypeNodePort ||
		spec.Type == corev1.ServiceTypeLoadBalancer ||
		(spec.Type == corev1.ServiceTypeClusterIP && len(spec.ExternalIPs) > 0)
	if externallyReachable {
		orDefault(&spec.ExternalTrafficPolicy, corev1.ServiceExternalTrafficPolicyCluster)
	}
	switch spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
		ptrOrDefault(&spec.InternalTrafficPolicy, corev1.ServiceInternalTrafficPolicyCluster)
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer {
		ptrOrDefault(&spec.AllocateLoadBalancerNodePorts, true)
		ingress := svc.Status.LoadBalancer.Ingress
		for i := range ingress {
			if ingress[i].IP != "" {
				ptrOrDefault(&ingress[i].IPMode, corev1.LoadBalancerIPModeVIP)
			}
		}
	}
}

func endpoints(ep *corev1.Endpoints) {
	for i := range ep.Subsets {
		ports := ep.Subsets[i].Ports
		for j := range ports {
			orDefault(&ports[j].Protocol, corev1.ProtocolTCP)
		}
	}
}

// namespace labels a named namespace with its own name, so that namespace
// selectors can pick namespaces by name; the label cannot be set to anything else.
func namespace(ns *corev1.Namespace) {
	if ns.Name != "" {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[corev1.LabelMetadataName] = ns.Name
	}
	orDefault(&ns.Status.Phase, corev1.NamespaceActive)
}

func configMap(cm *corev1.ConfigMap) {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
}

func secret(s *corev1.Secret) {
	orDefault(&s.Type, corev1.SecretTypeOpaque)
}

// node assumes a node can give pods all its capacity until it reports otherwise.
func node(n *corev1.Node) {
	if n.Status.Allocatable == nil && n.Status.Capacity != nil {
		n.Status.Allocatable = make(corev1.ResourceList, len(n.Status.Capacity))
		for name, q := range n.Status.Capacity {
			n.Status.Allocatable[name] = q.DeepCopy()
		}
	}
	roundResourceList(n.Status.Capacity)
	roundResourceList(n.Status.Allocatable)
}

func limitRange(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type == corev1.LimitTypeContainer {
			limitRangeContainerDefaults(item)
		}
		for _, list := range []corev1.ResourceList{item.Max, item.Min, item.Default, item.DefaultRequest, item.MaxLimitRequestRatio} {
			roundResourceList(list)
		}
	}
}

// limitRangeContainerDefaults derives the defaults a container limit range
// injects into pods: the default limit falls back to max, and the default
// request to the default limit and then to min.
func limitRangeContainerDefaults(item *corev1.LimitRangeItem) {
	if item.Default == nil {
		item.Default = corev1.ResourceList{}
	}
	if item.DefaultRequest == nil {
		item.DefaultRequest = corev1.ResourceList{}
	}
	fill := func(dst, src corev1.ResourceList) {
		for name, q := range src {
			if _, set := dst[name]; !set {
				dst[name] = q.DeepCopy()
			}
		}
	}
	fill(item.Default, item.Max)
	fill(item.DefaultRequest, item.Default)
	fill(item.DefaultRequest, item.Min)
}

func resourceQuota(q *corev1.ResourceQuota) {
	roundResourceList(q.Spec.Hard)
	roundResourceList(q.Status.Hard)
	roundResourceList(q.Status.Used)
}

func persistentVolume(pv *corev1.PersistentVolume) {
	orDefault(&pv.Status.Phase, corev1.VolumePending)
	orDefault(&pv.Spec.PersistentVolumeReclaimPolicy, corev1.PersistentVolumeReclaimRetain)
	ptrOrDefault(&pv.Spec.VolumeMode, corev1.PersistentVolumeFilesystem)
	roundResourceList(pv.Spec.Capacity)

	src := &pv.Spec.PersistentVolumeSource
	if src.HostPath != nil {
		ptrOrDefault(&src.HostPath.Type, corev1.HostPathUnset)
	}
	if src.RBD != nil {
		rbd(&src.RBD.RBDPool, &src.RBD.RadosUser, &src.RBD.Keyring)
	}
	if src.ISCSI != nil {
		orDefault(&src.ISCSI.ISCSIInterface, "default")
	}
	if src.AzureDisk != nil {
		azureDisk(src.AzureDisk)
	}
	if src.ScaleIO != nil {
		scaleIO(&src.ScaleIO.StorageMode, &src.ScaleIO.FSType)
	}
}

func persistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) {
	orDefault(&pvc.Status.Phase, corev1.ClaimPending)
	pvcSpec(&pvc.Spec)
	roundResourceList(pvc.Status.Capacity)
	roundResourceList(pvc.Status.AllocatedResources)
}
