package builtin

import (
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// events serves events.k8s.io/v1 Events: the same stored objects as core/v1 events.
func events() []*registry.Resource {
	gv := eventsv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "events", SingularName: "event", Kind: "Event", ShortNames: []string{"ev"},
		Namespaced: true, StorageKind: corev1.SchemeGroupVersion.WithKind("Event"), KeyPrefix: "events",
		AllowCreateOnUpdate: true, SelectableFields: eventFields,
		FieldLabelConversion: eventsV1FieldLabel,
	}}
}

// eventsV1Labels maps events.k8s.io/v1 field labels to the stored core Event's fields.
var eventsV1Labels = map[string]string{
	"regarding.kind":            "involvedObject.kind",
	"regarding.namespace":       "involvedObject.namespace",
	"regarding.name":            "involvedObject.name",
	"regarding.uid":             "involvedObject.uid",
	"regarding.apiVersion":      "involvedObject.apiVersion",
	"regarding.resourceVersion": "involvedObject.resourceVersion",
	"regarding.fieldPath":       "involvedObject.fieldPath",
	"reportingController":       "reportingComponent",
	"type":                      "type",
	"metadata.namespace":        "metadata.namespace",
	"metadata.name":             "metadata.name",
}

func eventsV1FieldLabel(label, value string) (string, string, error) {
	if mapped, ok := eventsV1Labels[label]; ok {
		return mapped, value, nil
	}
	return "", "", fmt.Errorf("field label not supported: %s", label)
}

func coordination() []*registry.Resource {
	gv := coordinationv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "leases", SingularName: "lease", Kind: "Lease", Namespaced: true,
		StorageKind: gv.WithKind("Lease"), KeyPrefix: "leases",
		AllowCreateOnUpdate: true, RequireResourceVersion: true,
	}}
}
