package builtin

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// autoscaling serves HorizontalPodAutoscalers as autoscaling/v2 (preferred, and the
// stored version) and autoscaling/v1, which converts to and from v2 keeping the
// v2-only fields in annotations.
func autoscaling() []*registry.Resource {
	stored := autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler")
	hpa := func(gv schema.GroupVersion) *registry.Resource {
		return &registry.Resource{
			GroupVersion: gv, Name: "horizontalpodautoscalers", SingularName: "horizontalpodautoscaler",
			Kind: "HorizontalPodAutoscaler", ShortNames: []string{"hpa"}, Categories: []string{"all"}, Namespaced: true,
			StorageKind: stored, KeyPrefix: "horizontalpodautoscalers",
			// HPAGeneration is on by default in v1.37.
			Status: true, TrackGeneration: true, StatusTakesMetadata: true,
			Validate:             v.ValidateHorizontalPodAutoscaler,
			ValidateUpdate:       v.ValidateHorizontalPodAutoscalerUpdate,
			ValidateStatusUpdate: v.ValidateHorizontalPodAutoscalerStatusUpdate,
			Table:                printers.HorizontalPodAutoscaler(),
		}
	}
	return []*registry.Resource{hpa(autoscalingv2.SchemeGroupVersion), hpa(autoscalingv1.SchemeGroupVersion)}
}
