package printers

import (
	"reflect"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kapi-dev/kapi/internal/registry"
)

func TestBatchTables(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := func() time.Time { return now }
	at := func(d time.Duration) *metav1.Time { tm := metav1.NewTime(now.Add(-d)); return &tm }
	meta := metav1.ObjectMeta{Name: "x", CreationTimestamp: *at(5 * time.Hour)}
	i32 := func(v int32) *int32 { return &v }
	q := resource.MustParse
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "img:1"}, {Name: "b", Image: "img:2"}}}}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "u"}}
	one, pct := intstr.FromInt32(1), intstr.FromString("50%")
	cpu := func(target, current *int32) (autoscalingv2.MetricSpec, autoscalingv2.MetricStatus) {
		return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: target}}},
			autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
				Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: current}}}
	}
	cpuSpec, cpuStatus := cpu(i32(80), i32(35))
	memAvg := q("100Mi")
	memSpec := autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &memAvg}}}
	podsAvg := q("10")
	podsSpec := autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
		Metric: autoscalingv2.MetricIdentifier{Name: "qps"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &podsAvg}}}
	tests := []struct {
		name    string
		table   *registry.Table
		obj     runtime.Object
		columns []string
		want    []any
	}{
		{
			name: "running job", table: jobTable(clk),
			obj: &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Completions: i32(3), Selector: sel, Template: tmpl},
				Status: batchv1.JobStatus{Succeeded: 1, StartTime: at(90 * time.Second)}},
			columns: []string{"Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"},
			want:    []any{"x", "Running", "1/3", "90s", "5h", "a,b", "img:1,img:2", "batch.kubernetes.io/controller-uid=u"},
		},
		{
			name: "complete work queue job", table: jobTable(clk),
			obj: &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Parallelism: i32(4)},
				Status: batchv1.JobStatus{Succeeded: 4, StartTime: at(time.Hour), CompletionTime: at(30 * time.Minute),
					Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}},
			want: []any{"x", "Complete", "4/1 of 4", "30m", "5h", "", "", "<none>"},
		},
		{
			name: "suspended job", table: jobTable(clk),
			obj: &batchv1.Job{ObjectMeta: meta, Status: batchv1.JobStatus{
				Conditions: []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue}}}},
			want: []any{"x", "Suspended", "0/1", "", "5h", "", "", "<none>"},
		},
		{
			name: "cron job", table: cronJobTable(clk),
			obj: &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", TimeZone: strp("UTC"), Suspend: boolp(false),
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}},
				Status: batchv1.CronJobStatus{Active: make([]corev1.ObjectReference, 2), LastScheduleTime: at(5 * time.Minute)}},
			columns: []string{"Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers", "Images", "Selector"},
			want:    []any{"x", "*/5 * * * *", "UTC", "False", int64(2), "5m", "5h", "a,b", "img:1,img:2", "<none>"},
		},
		{
			name: "never scheduled cron job", table: cronJobTable(clk),
			obj:  &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{Schedule: "@daily"}},
			want: []any{"x", "@daily", "<none>", "<unset>", int64(0), "<none>", "5h", "", "", "<none>"},
		},
		{
			name: "hpa with cpu and memory", table: hpaTable(clk),
			obj: &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: meta, Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web"}, MinReplicas: i32(2), MaxReplicas: 10,
				Metrics: []autoscalingv2.MetricSpec{cpuSpec, memSpec}},
				Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, CurrentMetrics: []autoscalingv2.MetricStatus{cpuStatus}}},
			columns: []string{"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"},
			want:    []any{"x", "Deployment/web", "cpu: 35%/80%, memory: <unknown>/100Mi", "2", int64(10), int64(3), "5h"},
		},
		{
			name: "hpa with more than two metrics", table: hpaTable(clk),
			obj: &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: meta, Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "StatefulSet", Name: "db"}, MaxReplicas: 4,
				Metrics: []autoscalingv2.MetricSpec{podsSpec, cpuSpec, memSpec}}},
			want: []any{"x", "StatefulSet/db", "<unknown>/10, cpu: <unknown>/80% + 1 more...", "<unset>", int64(4), int64(0), "5h"},
		},
		{
			name: "hpa without metrics", table: hpaTable(clk),
			obj:  &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: meta},
			want: []any{"x", "/", "<none>", "<unset>", int64(0), int64(0), "5h"},
		},
		{
			name: "pdb min available", table: pdbTable(clk),
			obj: &policyv1.PodDisruptionBudget{ObjectMeta: meta, Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one},
				Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 2}},
			columns: []string{"Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"},
			want:    []any{"x", "1", "N/A", int64(2), "5h"},
		},
		{
			name: "pdb max unavailable percent", table: pdbTable(clk),
			obj:  &policyv1.PodDisruptionBudget{ObjectMeta: meta, Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &pct}},
			want: []any{"x", "N/A", "50%", int64(0), "5h"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.columns != nil {
				var names []string
				for _, c := range tc.table.Columns {
					names = append(names, c.Name)
				}
				if !reflect.DeepEqual(names, tc.columns) {
					t.Errorf("columns %v, want %v", names, tc.columns)
				}
			}
			got, err := tc.table.Cells(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cells\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
	t.Run("wide columns and descriptions", func(t *testing.T) {
		for _, tbl := range []*registry.Table{Job(), CronJob()} {
			n := len(tbl.Columns)
			for i, c := range tbl.Columns {
				if wantWide := i >= n-3; (c.Priority == 1) != wantWide {
					t.Errorf("column %s priority %d", c.Name, c.Priority)
				}
				if c.Description == "" {
					t.Errorf("column %s has no description", c.Name)
				}
			}
		}
	})
}
