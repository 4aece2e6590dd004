package builtin

import (
	"fmt"
	"maps"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// batch serves batch/v1 Jobs and CronJobs.
func batch() []*registry.Resource {
	gv := batchv1.SchemeGroupVersion

	cj := &registry.Resource{
		GroupVersion: gv, Name: "cronjobs", SingularName: "cronjob", Kind: "CronJob", ShortNames: []string{"cj"},
		Categories: []string{"all"}, Namespaced: true, StorageKind: gv.WithKind("CronJob"), KeyPrefix: "cronjobs",
		Status: true, TrackGeneration: true, StatusTakesMetadata: true,
		PrepareForCreate: func(obj runtime.Object) {
			dropJobScheduling(&obj.(*batchv1.CronJob).Spec.JobTemplate.Spec, nil)
		},
		PrepareForUpdate: func(obj, old runtime.Object) {
			dropJobScheduling(&obj.(*batchv1.CronJob).Spec.JobTemplate.Spec, &old.(*batchv1.CronJob).Spec.JobTemplate.Spec)
		},
		Validate: v.ValidateCronJob, ValidateUpdate: v.ValidateCronJobUpdate, ValidateStatusUpdate: v.ValidateCronJobStatusUpdate,
		Table: printers.CronJob(),
	}

	job := &registry.Resource{
		GroupVersion: gv, Name: "jobs", SingularName: "job", Kind: "Job", Categories: []string{"all"},
		Namespaced: true, StorageKind: gv.WithKind("Job"), KeyPrefix: "jobs",
		Status: true, TrackGeneration: true, StatusTakesMetadata: true,
		// batch/v1 keeps its original default: a Job's pods outlive it (upstream's jobStrategy).
		OrphanByDefault: true, OrphanWarning: jobOrphanWarning,
		PrepareForCreate: func(obj runtime.Object) {
			j := obj.(*batchv1.Job)
			if j.Spec.ManualSelector == nil || !*j.Spec.ManualSelector {
				generateJobSelector(j)
			}
			// Upstream defaults a Job's labels to its template's again on every read
			// from storage, so a Job without labels shows the generated ones.
			if len(j.Labels) == 0 && len(j.Spec.Template.Labels) > 0 {
				j.Labels = maps.Clone(j.Spec.Template.Labels)
			}
			dropJobScheduling(&j.Spec, nil)
		},
		PrepareForUpdate: func(obj, old runtime.Object) {
			dropJobScheduling(&obj.(*batchv1.Job).Spec, &old.(*batchv1.Job).Spec)
		},
		SelectableFields: func(obj runtime.Object) fields.Set {
			return fields.Set{"status.successful": strconv.Itoa(int(obj.(*batchv1.Job).Status.Succeeded))}
		},
		FieldLabelConversion: func(label, value string) (string, string, error) {
			switch label {
			case "metadata.name", "metadata.namespace", "status.successful":
				return label, value, nil
			}
			return "", "", fmt.Errorf("field label %q not supported for Job", label)
		},
		Validate: v.ValidateJob, ValidateUpdate: v.ValidateJobUpdate, ValidateStatusUpdate: v.ValidateJobStatusUpdate,
		Table: printers.Job(),
	}
	return []*registry.Resource{cj, job}
}

// generateJobSelector labels the pod template with the Job's name and UID (under
// both the batch.kubernetes.io and the legacy keys) and selects the UID label.
// Labels the user set are kept; validation rejects them if they conflict.
func generateJobSelector(j *batchv1.Job) {
	t := &j.Spec.Template
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	for key, value := range map[string]string{
		v.JobLegacyNameLabel: j.Name, batchv1.JobNameLabel: j.Name,
		v.JobLegacyControllerUIDLabel: string(j.UID), batchv1.ControllerUidLabel: string(j.UID),
	} {
		if _, ok := t.Labels[key]; !ok {
			t.Labels[key] = value
		}
	}
	if j.Spec.Selector == nil {
		j.Spec.Selector = &metav1.LabelSelector{}
	}
	if j.Spec.Selector.MatchLabels == nil {
		j.Spec.Selector.MatchLabels = map[string]string{}
	}
	if _, ok := j.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel]; !ok {
		j.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] = string(j.UID)
	}
}

// dropJobScheduling clears spec.scheduling, which belongs to the WorkloadWithJob
// alpha feature (off by default in v1.37), unless the old object already used it.
func dropJobScheduling(spec, old *batchv1.JobSpec) {
	if old != nil && old.Scheduling != nil {
		return
	}
	spec.Scheduling = nil
}
