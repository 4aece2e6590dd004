package printers

import (
	"fmt"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Job prints NAME STATUS COMPLETIONS DURATION AGE; wide adds CONTAINERS IMAGES
// SELECTOR.
func Job() *registry.Table { return jobTable(time.Now) }

func jobTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Status", "string", "Status of the job."),
		column("Completions", "string", batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
		column("Duration", "string", "Time required to complete the job."),
		ageColumn(),
		wide("Containers", "string", descContainers),
		wide("Images", "string", descImages),
		wide("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
	}
	return typed("jobs", cols, func(j *batchv1.Job) []any {
		completions := fmt.Sprintf("%d/1", j.Status.Succeeded)
		switch parallelism := deref(j.Spec.Parallelism, 0); {
		case j.Spec.Completions != nil:
			completions = fmt.Sprintf("%d/%d", j.Status.Succeeded, *j.Spec.Completions)
		case parallelism > 1:
			completions = fmt.Sprintf("%d/1 of %d", j.Status.Succeeded, parallelism)
		}
		var took string
		switch start, end := j.Status.StartTime, j.Status.CompletionTime; {
		case start == nil:
		case end == nil:
			took = duration.HumanDuration(now().Sub(start.Time))
		default:
			took = duration.HumanDuration(end.Sub(start.Time))
		}
		names, images := containerCells(j.Spec.Template.Spec.Containers)
		return []any{j.Name, jobStatus(j), completions, took, since(now, j.CreationTimestamp),
			names, images, metav1.FormatLabelSelector(j.Spec.Selector)}
	})
}

// jobStatus is the first that applies of the terminal conditions, deletion, and the
// intermediate conditions; a Job with none is Running.
func jobStatus(j *batchv1.Job) string {
	is := func(t batchv1.JobConditionType) bool {
		// Upstream looks at the first condition of the type only.
		for _, c := range j.Status.Conditions {
			if c.Type == t {
				return c.Status == corev1.ConditionTrue
			}
		}
		return false
	}
	switch {
	case is(batchv1.JobComplete):
		return "Complete"
	case is(batchv1.JobFailed):
		return "Failed"
	case j.DeletionTimestamp != nil:
		return "Terminating"
	case is(batchv1.JobSuspended):
		return "Suspended"
	case is(batchv1.JobFailureTarget):
		return "FailureTarget"
	case is(batchv1.JobSuccessCriteriaMet):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

// CronJob prints NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE; wide adds
// CONTAINERS IMAGES SELECTOR of the job template.
func CronJob() *registry.Table { return cronJobTable(time.Now) }

func cronJobTable(now clock) *registry.Table {
	spec, status := batchv1.CronJobSpec{}.SwaggerDoc(), batchv1.CronJobStatus{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Schedule", "string", spec["schedule"]),
		column("Timezone", "string", spec["timeZone"]),
		column("Suspend", "boolean", spec["suspend"]),
		column("Active", "integer", status["active"]),
		column("Last Schedule", "string", status["lastScheduleTime"]),
		ageColumn(),
		wide("Containers", "string", descContainers),
		wide("Images", "string", descImages),
		wide("Selector", "string", batchv1.JobSpec{}.SwaggerDoc()["selector"]),
	}
	return typed("cronjobs", cols, func(cj *batchv1.CronJob) []any {
		last := none
		if t := cj.Status.LastScheduleTime; t != nil {
			last = since(now, *t)
		}
		suspend := unset
		if cj.Spec.Suspend != nil {
			suspend = "False"
			if *cj.Spec.Suspend {
				suspend = "True"
			}
		}
		tmpl := &cj.Spec.JobTemplate.Spec
		names, images := containerCells(tmpl.Template.Spec.Containers)
		return []any{cj.Name, cj.Spec.Schedule, deref(cj.Spec.TimeZone, none), suspend, int64(len(cj.Status.Active)),
			last, since(now, cj.CreationTimestamp), names, images, metav1.FormatLabelSelector(tmpl.Selector)}
	})
}

// HorizontalPodAutoscaler prints NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS
// AGE of the stored autoscaling/v2 object, for both served versions.
func HorizontalPodAutoscaler() *registry.Table { return hpaTable(time.Now) }

func hpaTable(now clock) *registry.Table {
	spec := autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Reference", "string", spec["scaleTargetRef"]),
		column("Targets", "string", spec["metrics"]),
		column("MinPods", "string", spec["minReplicas"]),
		column("MaxPods", "string", spec["maxReplicas"]),
		column("Replicas", "string", autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]),
		ageColumn(),
	}
	return typed("horizontalpodautoscalers", cols, func(h *autoscalingv2.HorizontalPodAutoscaler) []any {
		minPods := unset
		if h.Spec.MinReplicas != nil {
			minPods = fmt.Sprintf("%d", *h.Spec.MinReplicas)
		}
		ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
		return []any{h.Name, ref, hpaTargets(h.Spec.Metrics, h.Status.CurrentMetrics), minPods,
			int64(h.Spec.MaxReplicas), int64(h.Status.CurrentReplicas), since(now, h.CreationTimestamp)}
	})
}

// hpaTargets renders "current/target" for the first two metrics and counts the
// rest; a status is paired with the spec metric at the same index.
func hpaTargets(specs []autoscalingv2.MetricSpec, statuses []autoscalingv2.MetricStatus) string {
	if len(specs) == 0 {
		return none
	}
	const shown = 2
	list := make([]string, 0, len(specs))
	for i := range specs {
		var st *autoscalingv2.MetricStatus
		if i < len(statuses) {
			st = &statuses[i]
		}
		list = append(list, hpaTarget(&specs[i], st))
	}
	if len(list) > shown {
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:shown], ", "), len(list)-shown)
	}
	return strings.Join(list, ", ")
}

func hpaTarget(spec *autoscalingv2.MetricSpec, st *autoscalingv2.MetricStatus) string {
	cur := unknown
	switch {
	case spec.Type == autoscalingv2.ExternalMetricSourceType && spec.External != nil:
		t := spec.External.Target
		if t.AverageValue != nil {
			if st != nil && st.External != nil && st.External.Current.AverageValue != nil {
				cur = st.External.Current.AverageValue.String()
			}
			return fmt.Sprintf("%s/%s (avg)", cur, t.AverageValue.String())
		}
		if st != nil && st.External != nil {
			cur = st.External.Current.Value.String()
		}
		return fmt.Sprintf("%s/%s", cur, t.Value.String())
	case spec.Type == autoscalingv2.PodsMetricSourceType && spec.Pods != nil:
		if st != nil && st.Pods != nil {
			cur = st.Pods.Current.AverageValue.String()
		}
		return fmt.Sprintf("%s/%s", cur, spec.Pods.Target.AverageValue.String())
	case spec.Type == autoscalingv2.ObjectMetricSourceType && spec.Object != nil:
		t := spec.Object.Target
		if t.AverageValue != nil {
			if st != nil && st.Object != nil && st.Object.Current.AverageValue != nil {
				cur = st.Object.Current.AverageValue.String()
			}
			return fmt.Sprintf("%s/%s (avg)", cur, t.AverageValue.String())
		}
		if st != nil && st.Object != nil {
			cur = st.Object.Current.Value.String()
		}
		return fmt.Sprintf("%s/%s", cur, t.Value.String())
	case spec.Type == autoscalingv2.ResourceMetricSourceType && spec.Resource != nil:
		var current *autoscalingv2.MetricValueStatus
		if st != nil && st.Resource != nil {
			current = &st.Resource.Current
		}
		return spec.Resource.Name.String() + ": " + hpaResourceValues(spec.Resource.Target, current)
	case spec.Type == autoscalingv2.ContainerResourceMetricSourceType && spec.ContainerResource != nil:
		var current *autoscalingv2.MetricValueStatus
		if st != nil && st.ContainerResource != nil {
			current = &st.ContainerResource.Current
		}
		return spec.ContainerResource.Name.String() + ": " + hpaResourceValues(spec.ContainerResource.Target, current)
	}
	return "<unknown type>"
}

// hpaResourceValues renders a resource metric as a value ("250m/500m") or as a
// utilization ("40%/80%").
func hpaResourceValues(target autoscalingv2.MetricTarget, current *autoscalingv2.MetricValueStatus) string {
	cur := unknown
	if target.AverageValue != nil {
		if current != nil {
			cur = current.AverageValue.String()
		}
		return fmt.Sprintf("%s/%s", cur, target.AverageValue.String())
	}
	if current != nil && current.AverageUtilization != nil {
		cur = fmt.Sprintf("%d%%", *current.AverageUtilization)
	}
	want := "<auto>"
	if target.AverageUtilization != nil {
		want = fmt.Sprintf("%d%%", *target.AverageUtilization)
	}
	return fmt.Sprintf("%s/%s", cur, want)
}

// PodDisruptionBudget prints NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS
// AGE.
func PodDisruptionBudget() *registry.Table { return pdbTable(time.Now) }

func pdbTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Min Available", "string", "The minimum number of pods that must be available."),
		column("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
		column("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
		ageColumn(),
	}
	return typed("poddisruptionbudgets", cols, func(pdb *policyv1.PodDisruptionBudget) []any {
		minAvailable, maxUnavailable := "N/A", "N/A"
		if v := pdb.Spec.MinAvailable; v != nil {
			minAvailable = v.String()
		}
		if v := pdb.Spec.MaxUnavailable; v != nil {
			maxUnavailable = v.String()
		}
		return []any{pdb.Name, minAvailable, maxUnavailable, int64(pdb.Status.DisruptionsAllowed), since(now, pdb.CreationTimestamp)}
	})
}
