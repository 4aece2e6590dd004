package defaults

import (
	"math"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerBatch installs the defaulting of batch/v1 Jobs and CronJobs.
func registerBatch(s *runtime.Scheme) {
	add(s, job)
	addList(s, func(l *batchv1.JobList) []batchv1.Job { return l.Items }, job)
	add(s, cronJob)
	addList(s, func(l *batchv1.CronJobList) []batchv1.CronJob { return l.Items }, cronJob)
}

// job defaults a Job as upstream: a job with neither completions nor parallelism
// runs one pod to completion; the job takes its template's labels when it has none.
func job(j *batchv1.Job) {
	spec := &j.Spec
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = new(int32(1))
	}
	ptrOrDefault(&spec.Parallelism, 1)
	if spec.BackoffLimit == nil {
		// With a per-index limit the global one is effectively unlimited.
		if spec.BackoffLimitPerIndex != nil {
			spec.BackoffLimit = new(int32(math.MaxInt32))
		} else {
			spec.BackoffLimit = new(int32(6))
		}
	}
	if spec.Template.Labels != nil && len(j.Labels) == 0 {
		j.Labels = spec.Template.Labels
	}
	ptrOrDefault(&spec.CompletionMode, batchv1.NonIndexedCompletion)
	ptrOrDefault(&spec.Suspend, false)
	if spec.PodReplacementPolicy == nil {
		if spec.PodFailurePolicy != nil {
			spec.PodReplacementPolicy = new(batchv1.Failed)
		} else {
			spec.PodReplacementPolicy = new(batchv1.TerminatingOrFailed)
		}
	}
	ptrOrDefault(&spec.ManualSelector, false)
	podFailurePolicy(spec.PodFailurePolicy)
	podSpec(&spec.Template.Spec)
}

// podFailurePolicy defaults the status of each pod condition pattern to True.
func podFailurePolicy(p *batchv1.PodFailurePolicy) {
	if p == nil {
		return
	}
	for i := range p.Rules {
		for j := range p.Rules[i].OnPodConditions {
			orDefault(&p.Rules[i].OnPodConditions[j].Status, corev1.ConditionTrue)
		}
	}
}

// cronJob defaults a CronJob. Upstream does not run the Job defaulting on the job
// template (the controller's Job create does), only the pod template's and the pod
// failure policy's.
func cronJob(cj *batchv1.CronJob) {
	spec := &cj.Spec
	orDefault(&spec.ConcurrencyPolicy, batchv1.AllowConcurrent)
	ptrOrDefault(&spec.Suspend, false)
	ptrOrDefault(&spec.SuccessfulJobsHistoryLimit, 3)
	ptrOrDefault(&spec.FailedJobsHistoryLimit, 1)
	podFailurePolicy(spec.JobTemplate.Spec.PodFailurePolicy)
	podSpec(&spec.JobTemplate.Spec.Template.Spec)
}
