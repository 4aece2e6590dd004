package builtin

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

type validateFuncs struct {
	create func(runtime.Object) field.ErrorList
	update func(obj, old runtime.Object) field.ErrorList
	status func(obj, old runtime.Object) field.ErrorList
}

// validators maps each served group/kind to its validation (metadata included).
var validators = map[string]validateFuncs{
	"/Namespace":                {v.ValidateNamespace, v.ValidateNamespaceUpdate, v.ValidateNamespaceStatusUpdate},
	"/ConfigMap":                {v.ValidateConfigMap, v.ValidateConfigMapUpdate, nil},
	"/Secret":                   {v.ValidateSecret, v.ValidateSecretUpdate, nil},
	"/ServiceAccount":           {v.ValidateServiceAccount, v.ValidateServiceAccountUpdate, nil},
	"/Pod":                      {v.ValidatePod, v.ValidatePodUpdate, v.ValidatePodStatusUpdate},
	"/Service":                  {v.ValidateService, v.ValidateServiceUpdate, v.ValidateServiceStatusUpdate},
	"/Endpoints":                {v.ValidateEndpoints, v.ValidateEndpointsUpdate, nil},
	"/Event":                    {v.ValidateEvent, v.ValidateEventUpdate, nil},
	"/Node":                     {v.ValidateNode, v.ValidateNodeUpdate, v.ValidateNodeStatusUpdate},
	"/LimitRange":               {v.ValidateLimitRange, v.ValidateLimitRangeUpdate, nil},
	"/ResourceQuota":            {v.ValidateResourceQuota, v.ValidateResourceQuotaUpdate, v.ValidateResourceQuotaStatusUpdate},
	"/PodTemplate":              {v.ValidatePodTemplate, v.ValidatePodTemplateUpdate, nil},
	"/ReplicationController":    {v.ValidateReplicationController, v.ValidateReplicationControllerUpdate, v.ValidateReplicationControllerStatusUpdate},
	"/PersistentVolume":         {v.ValidatePersistentVolume, v.ValidatePersistentVolumeUpdate, v.ValidatePersistentVolumeStatusUpdate},
	"/PersistentVolumeClaim":    {v.ValidatePersistentVolumeClaim, v.ValidatePersistentVolumeClaimUpdate, v.ValidatePersistentVolumeClaimStatusUpdate},
	"apps/ControllerRevision":   {v.ValidateControllerRevision, v.ValidateControllerRevisionUpdate, nil},
	"apps/DaemonSet":            {v.ValidateDaemonSet, v.ValidateDaemonSetUpdate, v.ValidateDaemonSetStatusUpdate},
	"apps/Deployment":           {v.ValidateDeployment, v.ValidateDeploymentUpdate, v.ValidateDeploymentStatusUpdate},
	"apps/ReplicaSet":           {v.ValidateReplicaSet, v.ValidateReplicaSetUpdate, v.ValidateReplicaSetStatusUpdate},
	"apps/StatefulSet":          {v.ValidateStatefulSet, v.ValidateStatefulSetUpdate, v.ValidateStatefulSetStatusUpdate},
	"coordination.k8s.io/Lease": {v.ValidateLease, v.ValidateLeaseUpdate, nil},
	"events.k8s.io/Event": {
		func(obj runtime.Object) field.ErrorList { return v.ValidateEventsV1Event(eventsView(obj)) },
		func(obj, old runtime.Object) field.ErrorList {
			return v.ValidateEventsV1EventUpdate(eventsView(obj), eventsView(old))
		},
		nil,
	},
}

// eventsView converts a stored core/v1 Event for events.k8s.io validation.
func eventsView(obj runtime.Object) runtime.Object {
	if e, ok := obj.(*corev1.Event); ok {
		return apis.EventsV1(e)
	}
	return obj
}

// withValidation attaches each resource's validation functions.
func withValidation(list []*registry.Resource) []*registry.Resource {
	for _, r := range list {
		f, ok := validators[r.GroupVersion.Group+"/"+r.Kind]
		if !ok {
			continue
		}
		r.Validate, r.ValidateUpdate, r.ValidateStatusUpdate = f.create, f.update, f.status
	}
	return list
}

// refusePrivileged adds validation.PrivilegedContainers to the create and update
// checks of every resource, and to pods/ephemeralcontainers. It finds the pod
// specs itself, so objects without one pass at the cost of a type switch.
func refusePrivileged(list []*registry.Resource) []*registry.Resource {
	onUpdate := func(f func(obj, old runtime.Object) field.ErrorList) func(obj, old runtime.Object) field.ErrorList {
		return func(obj, old runtime.Object) field.ErrorList {
			return append(f(obj, old), v.PrivilegedContainers(obj)...)
		}
	}
	for _, r := range list {
		if r.Validate == nil || r.ValidateUpdate == nil {
			continue // no pod spec among these: only metadata is checked
		}
		create := r.Validate
		r.Validate = func(obj runtime.Object) field.ErrorList {
			return append(create(obj), v.PrivilegedContainers(obj)...)
		}
		r.ValidateUpdate = onUpdate(r.ValidateUpdate)
		for i := range r.Subresources {
			if sub := &r.Subresources[i]; sub.Name == "ephemeralcontainers" && sub.ValidateUpdate != nil {
				sub.ValidateUpdate = onUpdate(sub.ValidateUpdate)
			}
		}
	}
	return list
}
