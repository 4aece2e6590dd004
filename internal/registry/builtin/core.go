package builtin

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

func coreKind(kind string) registry.Resource {
	gv := corev1.SchemeGroupVersion
	return registry.Resource{GroupVersion: gv, Kind: kind, StorageKind: gv.WithKind(kind), Namespaced: true}
}

func core(deps Deps) []*registry.Resource {
	ns := coreKind("Namespace")
	ns.Name, ns.SingularName, ns.ShortNames, ns.KeyPrefix = "namespaces", "namespace", []string{"ns"}, "namespaces"
	ns.Namespaced, ns.Status, ns.ReturnDeletedObject = false, true, true
	ns.StatusTakesMetadata = true
	ns.Verbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"}
	ns.ValidateName = apivalidation.ValidateNamespaceName
	ns.PrepareForCreate = func(obj runtime.Object) {
		n := obj.(*corev1.Namespace)
		n.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
		if !hasFinalizer(n.Spec.Finalizers, corev1.FinalizerKubernetes) {
			n.Spec.Finalizers = append(n.Spec.Finalizers, corev1.FinalizerKubernetes)
		}
		setNamespaceNameLabel(n)
	}
	ns.PrepareForUpdate = func(obj, old runtime.Object) {
		n := obj.(*corev1.Namespace)
		n.Spec.Finalizers = old.(*corev1.Namespace).Spec.Finalizers
		setNamespaceNameLabel(n)
	}
	ns.PrepareForDelete = func(obj runtime.Object) bool {
		n := obj.(*corev1.Namespace)
		n.Status.Phase = corev1.NamespaceTerminating
		return len(n.Spec.Finalizers) > 0
	}
	ns.Subresources = []registry.Subresource{{
		Name: "finalize", Verbs: []string{"update"}, Kind: corev1.SchemeGroupVersion.WithKind("Namespace"),
		// Only spec.finalizers changes through finalize; the namespace controller
		// empties it to let a terminating namespace go.
		Update: func(requested, current runtime.Object) runtime.Object {
			cur := current.(*corev1.Namespace)
			cur.Spec.Finalizers = requested.(*corev1.Namespace).Spec.Finalizers
			return cur
		},
	}}
	ns.SelectableFields = func(obj runtime.Object) fields.Set {
		return fields.Set{"status.phase": string(obj.(*corev1.Namespace).Status.Phase)}
	}

	cm := coreKind("ConfigMap")
	cm.Name, cm.SingularName, cm.ShortNames, cm.KeyPrefix = "configmaps", "configmap", []string{"cm"}, "configmaps"

	secret := coreKind("Secret")
	secret.Name, secret.SingularName, secret.KeyPrefix = "secrets", "secret", "secrets"
	secret.SelectableFields = func(obj runtime.Object) fields.Set {
		return fields.Set{"type": string(obj.(*corev1.Secret).Type)}
	}
	secret.Internalize = func(obj runtime.Object) { mergeStringData(obj.(*corev1.Secret)) }
	// An apply's result still holds the stringData it applied (its manager owns
	// f:stringData, as upstream's), and the server's own writes are not decoded.
	secret.PrepareForCreate = func(obj runtime.Object) { mergeStringData(obj.(*corev1.Secret)) }
	secret.PrepareForUpdate = func(obj, _ runtime.Object) { mergeStringData(obj.(*corev1.Secret)) }

	sa := coreKind("ServiceAccount")
	sa.Name, sa.SingularName, sa.ShortNames, sa.KeyPrefix = "serviceaccounts", "serviceaccount", []string{"sa"}, "serviceaccounts"
	sa.ReturnDeletedObject = true
	sa.Subresources = []registry.Subresource{serviceAccountTokenSubresource(deps)}

	pod := coreKind("Pod")
	pod.Name, pod.SingularName, pod.ShortNames, pod.Categories, pod.KeyPrefix = "pods", "pod", []string{"po"}, []string{"all"}, "pods"
	pod.Status, pod.TrackGeneration, pod.ReturnDeletedObject = true, true, true
	pod.StatusTakesMetadata = true
	pod.KeepOnStatusUpdate = func(obj, old metav1.Object) { obj.SetOwnerReferences(old.GetOwnerReferences()) }
	pod.PrepareForCreate = func(obj runtime.Object) {
		p := obj.(*corev1.Pod)
		p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: podQOS(&p.Spec)}
	}
	pod.GracePeriod = podGracePeriod
	pod.Warnings = podWarnings
	bind := binder{deps: deps}
	pod.Subresources = []registry.Subresource{{
		Name: "binding", Kind: corev1.SchemeGroupVersion.WithKind("Binding"), Verbs: []string{"create"},
		Create: func(ctx context.Context, ns, name string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
			b := obj.(*corev1.Binding)
			if b.Name != name {
				return nil, apierrors.NewBadRequest("name in URL does not match name in Binding object")
			}
			return bind.bind(ctx, ns, b, dryRun)
		},
	}, evictionSubresource(deps)}
	pod.Subresources = append(pod.Subresources, podConnectSubresources(deps)...)
	pod.Subresources = append(pod.Subresources, podUpdateSubresources()...)
	binding := coreKind("Binding")
	binding.Name, binding.SingularName, binding.Verbs = "bindings", "binding", []string{"create"}
	binding.Create = func(ctx context.Context, ns string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
		return bind.bind(ctx, ns, obj.(*corev1.Binding), dryRun)
	}
	pod.SelectableFields = func(obj runtime.Object) fields.Set {
		p := obj.(*corev1.Pod)
		return fields.Set{
			"spec.nodeName":            p.Spec.NodeName,
			"spec.restartPolicy":       string(p.Spec.RestartPolicy),
			"spec.schedulerName":       p.Spec.SchedulerName,
			"spec.serviceAccountName":  p.Spec.ServiceAccountName,
			"spec.hostNetwork":         strconv.FormatBool(p.Spec.HostNetwork),
			"status.phase":             string(p.Status.Phase),
			"status.podIP":             p.Status.PodIP,
			"status.nominatedNodeName": p.Status.NominatedNodeName,
		}
	}
	pod.FieldLabelConversion = func(label, value string) (string, string, error) {
		switch label {
		case "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
			"spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName":
			return label, value, nil
		case "spec.host":
			return "spec.nodeName", value, nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}

	svc := coreKind("Service")
	svc.Name, svc.SingularName, svc.ShortNames, svc.Categories, svc.KeyPrefix = "services", "service", []string{"svc"}, []string{"all"}, "services/specs"
	svc.Status, svc.ReturnDeletedObject, svc.AllowCreateOnUpdate = true, true, true
	svc.StatusTakesMetadata = true
	svc.Subresources = append(svc.Subresources, serviceProxySubresource(deps))
	if deps.ServiceIPs != nil {
		ips := serviceIPs{alloc: deps.ServiceIPs}
		svc.BeginCreate, svc.BeginUpdate, svc.AfterDelete = ips.beginCreate, ips.beginUpdate, ips.afterDelete
	}
	svc.PrepareForCreate = prepareServiceForCreate
	svc.PrepareForUpdate = prepareServiceForUpdate
	svc.Warnings = serviceWarnings
	if deps.ServiceNodePorts != nil {
		withNodePorts(&svc, serviceNodePorts{alloc: deps.ServiceNodePorts})
	}
	svc.SelectableFields = func(obj runtime.Object) fields.Set {
		s := obj.(*corev1.Service)
		return fields.Set{"spec.clusterIP": s.Spec.ClusterIP, "spec.type": string(s.Spec.Type)}
	}

	ep := coreKind("Endpoints")
	ep.Name, ep.SingularName, ep.ShortNames, ep.KeyPrefix = "endpoints", "endpoints", []string{"ep"}, "services/endpoints"
	ep.AllowCreateOnUpdate = true

	ev := coreKind("Event")
	ev.Name, ev.SingularName, ev.ShortNames, ev.KeyPrefix = "events", "event", []string{"ev"}, "events"
	ev.AllowCreateOnUpdate = true
	ev.SelectableFields = eventFields

	node := coreKind("Node")
	node.Name, node.SingularName, node.ShortNames, node.KeyPrefix = "nodes", "node", []string{"no"}, "minions"
	node.Namespaced, node.Status, node.StatusTakesMetadata = false, true, true
	node.Subresources = append(node.Subresources, nodeProxySubresource(deps))
	node.SelectableFields = func(obj runtime.Object) fields.Set {
		return fields.Set{"spec.unschedulable": strconv.FormatBool(obj.(*corev1.Node).Spec.Unschedulable)}
	}

	lr := coreKind("LimitRange")
	lr.Name, lr.SingularName, lr.ShortNames, lr.KeyPrefix = "limitranges", "limitrange", []string{"limits"}, "limitranges"
	lr.AllowCreateOnUpdate = true

	rq := coreKind("ResourceQuota")
	rq.Name, rq.SingularName, rq.ShortNames, rq.KeyPrefix = "resourcequotas", "resourcequota", []string{"quota"}, "resourcequotas"
	rq.Status, rq.ReturnDeletedObject, rq.StatusTakesMetadata = true, true, true

	pt := coreKind("PodTemplate")
	pt.Name, pt.SingularName, pt.KeyPrefix = "podtemplates", "podtemplate", "podtemplates"
	pt.ReturnDeletedObject, pt.TrackGeneration = true, true

	rc := coreKind("ReplicationController")
	rc.Name, rc.SingularName, rc.ShortNames, rc.Categories, rc.KeyPrefix = "replicationcontrollers", "replicationcontroller", []string{"rc"}, []string{"all"}, "controllers"
	rc.Status, rc.TrackGeneration, rc.StatusTakesMetadata = true, true, true
	rc.OrphanByDefault = true // core/v1's original default, kept upstream
	rc.SelectableFields = func(obj runtime.Object) fields.Set {
		return fields.Set{"status.replicas": strconv.Itoa(int(obj.(*corev1.ReplicationController).Status.Replicas))}
	}
	rc.Scale = &registry.Scale{
		Get: func(obj runtime.Object) (int32, int32, string) {
			c := obj.(*corev1.ReplicationController)
			return derefInt32(c.Spec.Replicas, 1), c.Status.Replicas, labels.SelectorFromSet(c.Spec.Selector).String()
		},
		SetReplicas: func(obj runtime.Object, n int32) { obj.(*corev1.ReplicationController).Spec.Replicas = &n },
	}

	pv := coreKind("PersistentVolume")
	pv.Name, pv.SingularName, pv.ShortNames, pv.KeyPrefix = "persistentvolumes", "persistentvolume", []string{"pv"}, "persistentvolumes"
	pv.Namespaced, pv.Status, pv.ReturnDeletedObject = false, true, true
	pv.StatusTakesMetadata = true
	pv.PrepareForCreate = func(obj runtime.Object) {
		obj.(*corev1.PersistentVolume).Status = corev1.PersistentVolumeStatus{Phase: corev1.VolumePending}
	}

	pvc := coreKind("PersistentVolumeClaim")
	pvc.Name, pvc.SingularName, pvc.ShortNames, pvc.KeyPrefix = "persistentvolumeclaims", "persistentvolumeclaim", []string{"pvc"}, "persistentvolumeclaims"
	pvc.Status, pvc.ReturnDeletedObject, pvc.StatusTakesMetadata = true, true, true
	pvc.PrepareForCreate = func(obj runtime.Object) {
		obj.(*corev1.PersistentVolumeClaim).Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}
	}

	out := []*registry.Resource{&binding, componentStatuses(deps), &ns, &cm, &secret, &sa, &pod, &svc, &ep, &ev, &node, &lr, &rq, &pt, &rc, &pv, &pvc}
	return out
}

// podGracePeriod is upstream's graceful deletion of pods: a pod that never reached a
// node or has finished goes at once; otherwise it waits the requested period, or its
// terminationGracePeriodSeconds, for the kubelet to confirm.
func podGracePeriod(obj runtime.Object, requested *int64) int64 {
	p := obj.(*corev1.Pod)
	if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return 0
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	switch {
	case requested != nil:
		grace = *requested
	case p.Spec.TerminationGracePeriodSeconds != nil:
		grace = *p.Spec.TerminationGracePeriodSeconds
	}
	if grace < 0 {
		grace = 1
	}
	return grace
}

func eventFields(obj runtime.Object) fields.Set {
	e := obj.(*corev1.Event)
	source := e.Source.Component
	if source == "" {
		source = e.ReportingController
	}
	return fields.Set{
		"involvedObject.kind":            e.InvolvedObject.Kind,
		"involvedObject.namespace":       e.InvolvedObject.Namespace,
		"involvedObject.name":            e.InvolvedObject.Name,
		"involvedObject.uid":             string(e.InvolvedObject.UID),
		"involvedObject.apiVersion":      e.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       e.InvolvedObject.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         source,
		"type":                           e.Type,
	}
}

func setNamespaceNameLabel(n *corev1.Namespace) {
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	n.Labels[corev1.LabelMetadataName] = n.Name
}

func hasFinalizer(list []corev1.FinalizerName, f corev1.FinalizerName) bool {
	for _, x := range list {
		if x == f {
			return true
		}
	}
	return false
}

func derefInt32(p *int32, def int32) int32 {
	if p == nil {
		return def
	}
	return *p
}

// podQOS computes a pod's quality-of-service class from its containers' resources.
func podQOS(spec *corev1.PodSpec) corev1.PodQOSClass {
	requests, limits := map[corev1.ResourceName]bool{}, map[corev1.ResourceName]bool{}
	guaranteed := true
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range all {
		for name, q := range c.Resources.Requests {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
				if !q.IsZero() {
					requests[name] = true
				}
			}
		}
		hasCPU, hasMem := false, false
		for name, q := range c.Resources.Limits {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
				if !q.IsZero() {
					limits[name] = true
					hasCPU = hasCPU || name == corev1.ResourceCPU
					hasMem = hasMem || name == corev1.ResourceMemory
				}
				if r, ok := c.Resources.Requests[name]; ok && r.Cmp(q) != 0 {
					guaranteed = false
				}
			}
		}
		if !hasCPU || !hasMem {
			guaranteed = false
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	if guaranteed {
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// mergeStringData moves a Secret's write-only stringData into data (stringData wins),
// as upstream's conversion does: stringData is never stored or returned.
func mergeStringData(s *corev1.Secret) {
	if len(s.StringData) == 0 {
		s.StringData = nil
		return
	}
	if s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
