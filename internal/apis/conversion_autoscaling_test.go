package apis

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func hpaInt32(v int32) *int32 { return &v }

func TestHPAConversion(t *testing.T) {
	ref := autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	mem := resource.MustParse("100Mi")
	memNow := resource.MustParse("80Mi")
	cpuMetric := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: hpaInt32(70)}}}
	memMetric := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &mem}}}
	tests := []struct {
		name string
		in   *autoscalingv2.HorizontalPodAutoscaler
		// wantV1 checks the v1 form; the v2 form must come back unchanged.
		wantCPU         *int32
		wantCurrentCPU  *int32
		wantAnnotations []string
	}{
		{
			name:    "cpu only",
			in:      &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: ref, MinReplicas: hpaInt32(1), MaxReplicas: 3, Metrics: []autoscalingv2.MetricSpec{cpuMetric}}},
			wantCPU: hpaInt32(70),
		},
		{
			name: "memory metric, behavior, status and conditions go to annotations",
			in: &autoscalingv2.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{"keep": "me"}},
				Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: ref, MaxReplicas: 3, Metrics: []autoscalingv2.MetricSpec{memMetric, cpuMetric},
					Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &autoscalingv2.HPAScalingRules{
						SelectPolicy: new(autoscalingv2.MinChangePolicySelect),
						Policies:     []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 2, PeriodSeconds: 30}}}}},
				Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 2,
					CurrentMetrics: []autoscalingv2.MetricStatus{
						{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceMemory,
							Current: autoscalingv2.MetricValueStatus{AverageValue: &memNow}}},
					},
					Conditions: []autoscalingv2.HorizontalPodAutoscalerCondition{{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "Ready"}}},
			},
			wantCPU: hpaInt32(70),
			wantAnnotations: []string{"autoscaling.alpha.kubernetes.io/behavior", "autoscaling.alpha.kubernetes.io/conditions",
				"autoscaling.alpha.kubernetes.io/current-metrics", "autoscaling.alpha.kubernetes.io/metrics", "keep"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v1 := &autoscalingv1.HorizontalPodAutoscaler{}
			if err := HPAToV1(tc.in, v1); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantCPU, v1.Spec.TargetCPUUtilizationPercentage); diff != "" {
				t.Errorf("targetCPUUtilizationPercentage: %s", diff)
			}
			var keys []string
			for k := range v1.Annotations {
				keys = append(keys, k)
			}
			if diff := cmp.Diff(tc.wantAnnotations, keys, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("annotations %v: %s", v1.Annotations, diff)
			}
			back := &autoscalingv2.HorizontalPodAutoscaler{}
			if err := HPAToV2(v1, back); err != nil {
				t.Fatal(err)
			}
			// The CPU target comes back after the annotated metrics, as upstream.
			want := tc.in.DeepCopy()
			if len(want.Spec.Metrics) == 2 {
				want.Spec.Metrics = []autoscalingv2.MetricSpec{memMetric, cpuMetric}
			}
			if diff := cmp.Diff(want, back); diff != "" {
				t.Errorf("round trip: %s", diff)
			}
		})
	}
}

func TestHPAToV2Defaults(t *testing.T) {
	tests := []struct {
		name string
		in   autoscalingv1.HorizontalPodAutoscaler
		want []autoscalingv2.MetricSpec
	}{
		{
			name: "no target means 80% CPU",
			want: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: hpaInt32(80)}}}},
		},
		{
			name: "unparsable annotation is dropped",
			in: autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
				"autoscaling.alpha.kubernetes.io/metrics": "not json"}},
				Spec: autoscalingv1.HorizontalPodAutoscalerSpec{TargetCPUUtilizationPercentage: hpaInt32(50)}},
			want: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: hpaInt32(50)}}}},
		},
		{
			name: "v1 object metric with only an average value",
			in: autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
				"autoscaling.alpha.kubernetes.io/metrics": `[{"type":"Object","object":{"target":{"kind":"Service","name":"s"},"metricName":"rps","targetValue":"0","averageValue":"5"}}]`}}},
			want: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
				DescribedObject: autoscalingv2.CrossVersionObjectReference{Kind: "Service", Name: "s"},
				Metric:          autoscalingv2.MetricIdentifier{Name: "rps"},
				Target:          autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: new(resource.MustParse("5"))}}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &autoscalingv2.HorizontalPodAutoscaler{}
			if err := HPAToV2(&tc.in, out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out.Spec.Metrics); diff != "" {
				t.Error(diff)
			}
			if len(out.Annotations) != 0 {
				t.Errorf("annotations %v, want the round-trip ones dropped", out.Annotations)
			}
		})
	}
}

func TestSchemeConvertsHPA(t *testing.T) {
	s := NewScheme()
	v1 := &autoscalingv1.HorizontalPodAutoscaler{Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 2, TargetCPUUtilizationPercentage: hpaInt32(40)}}
	v2 := &autoscalingv2.HorizontalPodAutoscaler{}
	if err := s.Convert(v1, v2, nil); err != nil {
		t.Fatal(err)
	}
	if v2.Spec.MaxReplicas != 2 || *v2.Spec.Metrics[0].Resource.Target.AverageUtilization != 40 {
		t.Errorf("converted %+v", v2.Spec)
	}
}
