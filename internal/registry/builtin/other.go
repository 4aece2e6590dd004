package builtin

import (
	"strconv"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// events serves events.k8s.io/v1 Events: the same stored objects as core/v1 events.
func events() []*registry.Resource {
	gv := eventsv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "events", SingularName: "event", Kind: "Event", ShortNames: []string{"ev"},
		Namespaced: true, StorageKind: corev1.SchemeGroupVersion.WithKind("Event"), KeyPrefix: "events",
		AllowCreateOnUpdate: true, SelectableFields: eventFields,
	}}
}

func coordination() []*registry.Resource {
	gv := coordinationv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "leases", SingularName: "lease", Kind: "Lease", Namespaced: true,
		StorageKind: gv.WithKind("Lease"), KeyPrefix: "leases",
		AllowCreateOnUpdate: true, RequireResourceVersion: true,
	}}
}
