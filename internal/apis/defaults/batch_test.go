package defaults

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func batchScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme, autoscalingv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	Register(s)
	return s
}

func i32(v int32) *int32 { return &v }

func TestJobDefaults(t *testing.T) {
	s := batchScheme(t)
	tests := []struct {
		name  string
		spec  batchv1.JobSpec
		check func(t *testing.T, j *batchv1.Job)
	}{
		{
			name: "single pod job",
			check: func(t *testing.T, j *batchv1.Job) {
				sp := j.Spec
				if *sp.Completions != 1 || *sp.Parallelism != 1 || *sp.BackoffLimit != 6 || *sp.CompletionMode != batchv1.NonIndexedCompletion ||
					*sp.Suspend || *sp.ManualSelector || *sp.PodReplacementPolicy != batchv1.TerminatingOrFailed {
					t.Errorf("spec %+v", sp)
				}
				if sp.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
					t.Errorf("pod template not defaulted: %q", sp.Template.Spec.RestartPolicy)
				}
			},
		},
		{
			name: "work queue keeps completions unset",
			spec: batchv1.JobSpec{Parallelism: i32(3)},
			check: func(t *testing.T, j *batchv1.Job) {
				if j.Spec.Completions != nil || *j.Spec.Parallelism != 3 {
					t.Errorf("completions %v parallelism %v", j.Spec.Completions, *j.Spec.Parallelism)
				}
			},
		},
		{
			name: "per-index backoff makes the global limit unbounded",
			spec: batchv1.JobSpec{BackoffLimitPerIndex: i32(1)},
			check: func(t *testing.T, j *batchv1.Job) {
				if *j.Spec.BackoffLimit != math.MaxInt32 {
					t.Errorf("backoffLimit %d", *j.Spec.BackoffLimit)
				}
			},
		},
		{
			name: "pod failure policy replaces failed pods only and defaults condition status",
			spec: batchv1.JobSpec{PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
				OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}}}}}},
			check: func(t *testing.T, j *batchv1.Job) {
				if *j.Spec.PodReplacementPolicy != batchv1.Failed || j.Spec.PodFailurePolicy.Rules[0].OnPodConditions[0].Status != corev1.ConditionTrue {
					t.Errorf("spec %+v", j.Spec)
				}
			},
		},
		{
			name: "no template labels leave the job without labels",
			spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{}},
			check: func(t *testing.T, j *batchv1.Job) {
				if j.Labels != nil {
					t.Errorf("labels %v for a template without labels", j.Labels)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := &batchv1.Job{Spec: tc.spec}
			s.Default(j)
			tc.check(t, j)
		})
	}
	t.Run("labels copied from template", func(t *testing.T) {
		j := &batchv1.Job{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{}}}
		j.Spec.Template.Labels = map[string]string{"app": "x"}
		s.Default(j)
		if diff := cmp.Diff(map[string]string{"app": "x"}, j.Labels); diff != "" {
			t.Error(diff)
		}
	})
}

func TestCronJobDefaults(t *testing.T) {
	cj := &batchv1.CronJob{}
	batchScheme(t).Default(cj)
	sp := cj.Spec
	if sp.ConcurrencyPolicy != batchv1.AllowConcurrent || *sp.Suspend || *sp.SuccessfulJobsHistoryLimit != 3 || *sp.FailedJobsHistoryLimit != 1 {
		t.Errorf("spec %+v", sp)
	}
	if sp.JobTemplate.Spec.BackoffLimit != nil || sp.JobTemplate.Spec.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Errorf("job template: only the pod template is defaulted, got %+v", sp.JobTemplate.Spec)
	}
}

func TestHPADefaults(t *testing.T) {
	s := batchScheme(t)
	t.Run("v1 only defaults minReplicas", func(t *testing.T) {
		h := &autoscalingv1.HorizontalPodAutoscaler{}
		s.Default(h)
		if *h.Spec.MinReplicas != 1 || h.Spec.TargetCPUUtilizationPercentage != nil {
			t.Errorf("spec %+v", h.Spec)
		}
	})
	t.Run("v2 defaults metrics and fills a behavior", func(t *testing.T) {
		h := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(60)}}}}
		s.Default(h)
		want := autoscalingv2.HorizontalPodAutoscalerSpec{
			MinReplicas: i32(1),
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: i32(80)}}}},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(0), SelectPolicy: new(autoscalingv2.MaxChangePolicySelect),
					Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
						{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}},
				ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: i32(60), SelectPolicy: new(autoscalingv2.MaxChangePolicySelect),
					Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}},
			},
		}
		if diff := cmp.Diff(want, h.Spec); diff != "" {
			t.Error(diff)
		}
	})
}
