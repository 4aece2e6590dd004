package defaults

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// hpaDefaultCPUUtilization is the CPU target of an autoscaler without metrics.
const hpaDefaultCPUUtilization = 80

// registerAutoscaling installs the defaulting of HorizontalPodAutoscalers in both
// served versions.
func registerAutoscaling(s *runtime.Scheme) {
	add(s, hpaV1)
	addList(s, func(l *autoscalingv1.HorizontalPodAutoscalerList) []autoscalingv1.HorizontalPodAutoscaler {
		return l.Items
	}, hpaV1)
	add(s, hpaV2)
	addList(s, func(l *autoscalingv2.HorizontalPodAutoscalerList) []autoscalingv2.HorizontalPodAutoscaler {
		return l.Items
	}, hpaV2)
}

// hpaV1 only defaults minReplicas; the CPU target default of a v1 autoscaler is
// applied when it converts to the stored version.
func hpaV1(h *autoscalingv1.HorizontalPodAutoscaler) {
	ptrOrDefault(&h.Spec.MinReplicas, 1)
}

// hpaV2 defaults minReplicas, an 80% CPU utilization target when no metric is
// given, and the missing parts of the scaling rules of a behavior that is set.
func hpaV2(h *autoscalingv2.HorizontalPodAutoscaler) {
	spec := &h.Spec
	ptrOrDefault(&spec.MinReplicas, 1)
	if len(spec.Metrics) == 0 {
		spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{
					Type:               autoscalingv2.UtilizationMetricType,
					AverageUtilization: new(int32(hpaDefaultCPUUtilization)),
				},
			},
		}}
	}
	if b := spec.Behavior; b != nil {
		b.ScaleUp = scalingRules(b.ScaleUp, scaleUpRules())
		b.ScaleDown = scalingRules(b.ScaleDown, scaleDownRules())
	}
}

// scaleUpRules are the scale-up rules of an autoscaler that sets none: no
// stabilization, at most 4 pods or doubling every 15 seconds, whichever is more.
func scaleUpRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: new(int32(0)),
		SelectPolicy:               new(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// scaleDownRules are the default scale-down rules: up to all pods every 15 seconds;
// the stabilization window is left to the controller (300s).
func scaleDownRules() *autoscalingv2.HPAScalingRules {
	return &autoscalingv2.HPAScalingRules{
		SelectPolicy: new(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// scalingRules overlays the fields set in given onto def.
func scalingRules(given, def *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if given == nil {
		return def
	}
	if given.SelectPolicy != nil {
		def.SelectPolicy = given.SelectPolicy
	}
	if given.StabilizationWindowSeconds != nil {
		def.StabilizationWindowSeconds = given.StabilizationWindowSeconds
	}
	if given.Policies != nil {
		def.Policies = given.Policies
	}
	if given.Tolerance != nil {
		def.Tolerance = given.Tolerance
	}
	return def
}
