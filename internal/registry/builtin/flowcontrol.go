package builtin

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// flowcontrol serves flowcontrol.apiserver.k8s.io/v1: the API Priority and Fairness
// configuration objects, both cluster-scoped with a status the apiserver writes.
func flowcontrol() []*registry.Resource {
	gv := flowcontrolv1.SchemeGroupVersion
	fs := &registry.Resource{
		GroupVersion: gv, Name: "flowschemas", SingularName: "flowschema", Kind: "FlowSchema",
		StorageKind: gv.WithKind("FlowSchema"), KeyPrefix: "flowschemas",
		Status: true, TrackGeneration: true,
		Validate: v.ValidateFlowSchema, ValidateUpdate: v.ValidateFlowSchemaUpdate, ValidateStatusUpdate: v.ValidateFlowSchemaStatusUpdate,
		Table: printers.FlowSchema(),
	}
	pl := &registry.Resource{
		GroupVersion: gv, Name: "prioritylevelconfigurations", SingularName: "prioritylevelconfiguration", Kind: "PriorityLevelConfiguration",
		StorageKind: gv.WithKind("PriorityLevelConfiguration"), KeyPrefix: "prioritylevelconfigurations",
		Status: true, TrackGeneration: true,
		Validate: v.ValidatePriorityLevelConfiguration, ValidateUpdate: v.ValidatePriorityLevelConfigurationUpdate,
		ValidateStatusUpdate: v.ValidatePriorityLevelConfigurationStatusUpdate,
		Table:                printers.PriorityLevelConfiguration(),
	}
	return []*registry.Resource{fs, pl}
}
