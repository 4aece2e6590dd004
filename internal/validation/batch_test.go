package validation

import (
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// validJob is a defaulted Job after the strategy generated its selector.
func validJob() *batchv1.Job {
	pod := validPod()
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	lbl := map[string]string{"batch.kubernetes.io/controller-uid": "u1", "batch.kubernetes.io/job-name": "pi",
		"controller-uid": "u1", "job-name": "pi"}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "u1", ResourceVersion: "1"},
		Spec: batchv1.JobSpec{
			Parallelism: ptr(int32(1)), Completions: ptr(int32(1)), BackoffLimit: ptr(int32(6)),
			CompletionMode: ptr(batchv1.NonIndexedCompletion), Suspend: ptr(false), ManualSelector: ptr(false),
			PodReplacementPolicy: ptr(batchv1.TerminatingOrFailed),
			Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "u1"}},
			Template:             corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl}, Spec: pod.Spec},
		},
	}
}

func TestValidateJob(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*batchv1.Job)
		want   []string
	}{
		{name: "valid"},
		{
			name:   "restart policy Always",
			mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways },
			want:   []string{`spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`},
		},
		{
			name: "negative parallelism and completions",
			mutate: func(j *batchv1.Job) {
				j.Spec.Parallelism, j.Spec.Completions = ptr(int32(-1)), ptr(int32(-2))
			},
			want: []string{
				"spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
				"spec.completions: Invalid value: -2: must be greater than or equal to 0",
			},
		},
		{
			name:   "generated selector does not select the job",
			mutate: func(j *batchv1.Job) { j.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"] = "other" },
			want: []string{
				"spec.selector: Invalid value: {\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"other\"}}: `selector` not auto-generated",
				"spec.template.metadata.labels: Invalid value: {\"batch.kubernetes.io/controller-uid\":\"u1\",\"batch.kubernetes.io/job-name\":\"pi\",\"controller-uid\":\"u1\",\"job-name\":\"pi\"}: `selector` does not match template `labels`",
			},
		},
		{
			name: "manual selector is taken as given",
			mutate: func(j *batchv1.Job) {
				j.Spec.ManualSelector = ptr(true)
				j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"job-name": "pi"}}
			},
		},
		{
			name:   "missing selector",
			mutate: func(j *batchv1.Job) { j.Spec.ManualSelector, j.Spec.Selector = ptr(true), nil },
			want: []string{
				"spec.selector: Required value",
				"spec.template.metadata.labels: Invalid value: {\"batch.kubernetes.io/controller-uid\":\"u1\",\"batch.kubernetes.io/job-name\":\"pi\",\"controller-uid\":\"u1\",\"job-name\":\"pi\"}: `selector` does not match template `labels`",
			},
		},
		{
			name:   "indexed without completions",
			mutate: func(j *batchv1.Job) { j.Spec.CompletionMode, j.Spec.Completions = ptr(batchv1.IndexedCompletion), nil },
			want:   []string{"spec.completions: Required value: when completion mode is Indexed"},
		},
		{
			name:   "backoffLimitPerIndex needs indexed mode",
			mutate: func(j *batchv1.Job) { j.Spec.BackoffLimitPerIndex = ptr(int32(1)) },
			want:   []string{"spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"},
		},
		{
			name: "pod failure policy needs Never",
			mutate: func(j *batchv1.Job) {
				j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
				j.Spec.PodReplacementPolicy = ptr(batchv1.Failed)
				j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
					Action: batchv1.PodFailurePolicyActionFailJob,
					OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
						Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{2, 1}},
				}}}
			},
			want: []string{
				"spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: [2,1]: must be ordered",
				`spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified`,
			},
		},
		{
			name: "indexed name too long for pod host names",
			mutate: func(j *batchv1.Job) {
				j.Name = "a23456789012345678901234567890123456789012345678901234567890"
				j.Spec.Template.Labels["job-name"], j.Spec.Template.Labels["batch.kubernetes.io/job-name"] = j.Name, j.Name
				j.Spec.CompletionMode, j.Spec.Completions, j.Spec.Parallelism = ptr(batchv1.IndexedCompletion), ptr(int32(1000)), ptr(int32(1000))
			},
			want: []string{`metadata.name: Invalid value: "a23456789012345678901234567890123456789012345678901234567890": will not able to create pod with invalid DNS label: a23456789012345678901234567890123456789012345678901234567890-999`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := validJob()
			if tc.mutate != nil {
				tc.mutate(j)
			}
			wantErrs(t, ValidateJob(j), tc.want)
		})
	}
}

func TestValidateJobUpdate(t *testing.T) {
	tests := []struct {
		name   string
		old    func(*batchv1.Job)
		mutate func(*batchv1.Job)
		want   []string
	}{
		{name: "parallelism may change", mutate: func(j *batchv1.Job) { j.Spec.Parallelism = ptr(int32(3)) }},
		{
			name:   "template is immutable",
			mutate: func(j *batchv1.Job) { j.Spec.Template.Spec.Containers[0].Image = "nginx:2" },
			want:   []string{"spec.template: Invalid value: " + `"<omitted>"` + ": field is immutable"},
		},
		{
			name: "suspended job that never started may change resources and node selector",
			old:  func(j *batchv1.Job) { j.Spec.Suspend = ptr(true) },
			mutate: func(j *batchv1.Job) {
				j.Spec.Suspend = ptr(true)
				j.Spec.Template.Spec.NodeSelector = map[string]string{"a": "b"}
			},
		},
		{
			name:   "completions are immutable for non-indexed jobs",
			mutate: func(j *batchv1.Job) { j.Spec.Completions = ptr(int32(2)) },
			want:   []string{"spec.completions: Invalid value: 2: field is immutable"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validJob()
			if tc.old != nil {
				tc.old(old)
			}
			j := old.DeepCopy()
			tc.mutate(j)
			errs := ValidateJobUpdate(j, old)
			// The immutable template error prints the whole template; compare its
			// field and type only.
			if tc.name == "template is immutable" {
				if len(errs) != 1 || errs[0].Field != "spec.template" || errs[0].Detail != immutableMsg {
					t.Errorf("errors %v", errs)
				}
				return
			}
			wantErrs(t, errs, tc.want)
		})
	}
}

func TestValidateJobStatusUpdate(t *testing.T) {
	now := metav1.Now()
	tests := []struct {
		name   string
		mutate func(*batchv1.Job)
		want   []string
	}{
		{name: "active count", mutate: func(j *batchv1.Job) { j.Status.Active = 1; j.Status.StartTime = &now }},
		{
			name: "complete without completion time",
			mutate: func(j *batchv1.Job) {
				j.Status.StartTime = &now
				j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue},
					{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
			},
			want: []string{"status.completionTime: Required value: completionTime is required for Complete jobs"},
		},
		{
			name:   "more ready than active",
			mutate: func(j *batchv1.Job) { j.Status.Ready = ptr(int32(2)) },
			want:   []string{"status.ready: Invalid value: 2: cannot set more ready pods than active"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validJob()
			j := old.DeepCopy()
			tc.mutate(j)
			wantErrs(t, ValidateJobStatusUpdate(j, old), tc.want)
		})
	}
	t.Run("succeeded may not decrease", func(t *testing.T) {
		old := validJob()
		old.Status.Succeeded = 2
		j := old.DeepCopy()
		j.Status.Succeeded = 1
		wantErrs(t, ValidateJobStatusUpdate(j, old), []string{"status.succeeded: Invalid value: 1: cannot decrease the succeeded counter"})
	})
}

func validCronJob() *batchv1.CronJob {
	pod := validPod()
	pod.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default", ResourceVersion: "1"},
		Spec: batchv1.CronJobSpec{
			Schedule: "*/1 * * * *", ConcurrencyPolicy: batchv1.AllowConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: pod.Spec}}},
		},
	}
}

func TestValidateCronJob(t *testing.T) {
	tests := []struct {
		name     string
		schedule string
		timeZone *string
		mutate   func(*batchv1.CronJob)
		want     []string
	}{
		{name: "every minute", schedule: "*/1 * * * *"},
		{name: "names and ranges", schedule: "0 9-17 * JAN-mar mon,wed,Fri"},
		{name: "descriptor", schedule: "@hourly"},
		{name: "every duration", schedule: "@every 1h30m"},
		{name: "question mark", schedule: "0 0 ? * *"},
		{name: "empty", schedule: "", want: []string{"spec.schedule: Required value"}},
		{name: "minute out of range", schedule: "61 * * * *",
			want: []string{`spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61`}},
		{name: "too few fields", schedule: "* * * *",
			want: []string{`spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]`}},
		{name: "not a number", schedule: "x * * * *",
			want: []string{`spec.schedule: Invalid value: "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`}},
		{name: "day of month zero", schedule: "0 0 0 * *",
			want: []string{`spec.schedule: Invalid value: "0 0 0 * *": beginning of range (0) below minimum (1): 0`}},
		{name: "backwards range", schedule: "0 5-2 * * *",
			want: []string{`spec.schedule: Invalid value: "0 5-2 * * *": beginning of range (5) beyond end of range (2): 5-2`}},
		{name: "zero step", schedule: "*/0 * * * *",
			want: []string{`spec.schedule: Invalid value: "*/0 * * * *": step of range should be a positive number: */0`}},
		{name: "unknown descriptor", schedule: "@fortnightly",
			want: []string{`spec.schedule: Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly`}},
		{name: "TZ prefix", schedule: "TZ=UTC 0 0 * * *",
			want: []string{`spec.schedule: Invalid value: "TZ=UTC 0 0 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`}},
		{name: "TZ without a schedule panics upstream's parser", schedule: "TZ=0",
			want: []string{
				`spec.schedule: Invalid value: "TZ=0": invalid schedule format: runtime error: slice bounds out of range [:-1]`,
				`spec.schedule: Invalid value: "TZ=0": cannot use TZ or CRON_TZ in schedule, use timeZone field instead`,
			}},
		{name: "time zone", schedule: "0 0 * * *", timeZone: ptr("Europe/Paris")},
		{name: "unknown time zone", schedule: "0 0 * * *", timeZone: ptr("Mars/Olympus"),
			want: []string{`spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus`}},
		{name: "empty time zone", schedule: "0 0 * * *", timeZone: ptr(""),
			want: []string{`spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string`}},
		{name: "Local time zone", schedule: "0 0 * * *", timeZone: ptr("Local"),
			want: []string{`spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones`}},
		{
			name: "selector in job template", schedule: "0 0 * * *",
			mutate: func(cj *batchv1.CronJob) {
				cj.Spec.JobTemplate.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
			},
			want: []string{"spec.jobTemplate.spec.selector: Invalid value: {\"matchLabels\":{\"a\":\"b\"}}: `selector` will be auto-generated"},
		},
		{
			name: "name too long", schedule: "0 0 * * *",
			mutate: func(cj *batchv1.CronJob) { cj.Name = "a2345678901234567890123456789012345678901234567890123" },
			want:   []string{`metadata.name: Invalid value: "a2345678901234567890123456789012345678901234567890123": must be no more than 52 characters`},
		},
		{
			name: "bad concurrency policy", schedule: "0 0 * * *",
			mutate: func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = "Sometimes" },
			want:   []string{`spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cj := validCronJob()
			cj.Spec.Schedule, cj.Spec.TimeZone = tc.schedule, tc.timeZone
			if tc.mutate != nil {
				tc.mutate(cj)
			}
			wantErrs(t, ValidateCronJob(cj), tc.want)
		})
	}
	t.Run("TZ kept on update when it was there", func(t *testing.T) {
		old := validCronJob()
		old.Spec.Schedule = "TZ=UTC 0 0 * * *"
		cj := old.DeepCopy()
		cj.Spec.Schedule = "TZ=UTC 0 1 * * *"
		wantErrs(t, ValidateCronJobUpdate(cj, old), nil)
	})
}

func validHPA() *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr(int32(1)), MaxReplicas: 3,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(80))}}}},
		},
	}
}

func TestValidateHorizontalPodAutoscaler(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*autoscalingv2.HorizontalPodAutoscaler)
		want   []string
	}{
		{name: "valid"},
		{
			name:   "max below min",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr(int32(5)) },
			want:   []string{"spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`"},
		},
		{
			name:   "max unset",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 0 },
			want: []string{
				"spec.maxReplicas: Required value: must be set and greater than 0",
				"spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`",
			},
		},
		{
			name:   "scale target without group",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.APIVersion = "v1" },
			want:   []string{`spec.scaleTargetRef.apiVersion: Invalid value: "v1": apiVersion must specify API group`},
		},
		{
			name: "replication controllers are in the core group",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "v1", Kind: "ReplicationController", Name: "rc"}
			},
		},
		{
			name:   "zero min needs an object or external metric",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MinReplicas = ptr(int32(0)) },
			want:   []string{"spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"},
		},
		{
			name: "two sources in one metric",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Metrics[0].Pods = &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "qps"},
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType}}
			},
			want: []string{
				"spec.metrics[0].pods.target.averageValue: Required value: must specify a positive target averageValue",
				"spec.metrics[0].pods: Forbidden: must populate the given metric source only",
			},
		},
		{
			name: "behavior without policies",
			mutate: func(h *autoscalingv2.HorizontalPodAutoscaler) {
				h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &autoscalingv2.HPAScalingRules{
					StabilizationWindowSeconds: ptr(int32(4000))}}
			},
			want: []string{
				"spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600",
				"spec.behavior.scaleUp.policies: Required value: must specify at least one Policy",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := validHPA()
			if tc.mutate != nil {
				tc.mutate(h)
			}
			wantErrs(t, ValidateHorizontalPodAutoscaler(h), tc.want)
		})
	}
}

func TestValidatePodDisruptionBudget(t *testing.T) {
	one, pct := intstr.FromInt32(1), intstr.FromString("120%")
	tests := []struct {
		name   string
		mutate func(*policyv1.PodDisruptionBudget)
		want   []string
	}{
		{name: "min available"},
		{name: "names are only path segments", mutate: func(p *policyv1.PodDisruptionBudget) { p.Name = "Web_1" }},
		{
			name:   "both min and max",
			mutate: func(p *policyv1.PodDisruptionBudget) { p.Spec.MaxUnavailable = &one },
			want:   []string{`spec: Invalid value: {"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set`},
		},
		{
			name:   "more than 100%",
			mutate: func(p *policyv1.PodDisruptionBudget) { p.Spec.MinAvailable = &pct },
			want:   []string{`spec.minAvailable: Invalid value: "120%": must not be greater than 100%`},
		},
		{
			name: "unknown eviction policy",
			mutate: func(p *policyv1.PodDisruptionBudget) {
				p.Spec.UnhealthyPodEvictionPolicy = ptr(policyv1.UnhealthyPodEvictionPolicyType("Never"))
			},
			want: []string{`spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
				Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one}}
			if tc.mutate != nil {
				tc.mutate(p)
			}
			wantErrs(t, ValidatePodDisruptionBudget(p), tc.want)
		})
	}
	t.Run("status counters", func(t *testing.T) {
		old := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"}}
		p := old.DeepCopy()
		p.Status.DisruptionsAllowed = -1
		wantErrs(t, ValidatePodDisruptionBudgetStatusUpdate(p, old),
			[]string{"status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0"})
	})
}
