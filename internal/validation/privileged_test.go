package validation

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestPrivilegedContainers(t *testing.T) {
	priv := &corev1.SecurityContext{Privileged: ptr(true)}
	spec := corev1.PodSpec{
		InitContainers:      []corev1.Container{{Name: "i", SecurityContext: priv}},
		Containers:          []corev1.Container{{Name: "a"}, {Name: "b", SecurityContext: &corev1.SecurityContext{Privileged: ptr(false)}}, {Name: "c", SecurityContext: priv}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "e", SecurityContext: priv}}},
	}
	template := corev1.PodTemplateSpec{Spec: spec}
	paths := func(prefix string) []string {
		return []string{prefix + ".initContainers[0].securityContext.privileged", prefix + ".containers[2].securityContext.privileged",
			prefix + ".ephemeralContainers[0].securityContext.privileged"}
	}
	tests := []struct {
		name string
		obj  runtime.Object
		want []string
	}{
		{"pod", &corev1.Pod{Spec: spec}, paths("spec")},
		{"pod template", &corev1.PodTemplate{Template: template}, paths("template.spec")},
		{"replication controller", &corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{Template: &template}}, paths("spec.template.spec")},
		{"replication controller without template", &corev1.ReplicationController{}, nil},
		{"deployment", &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: template}}, paths("spec.template.spec")},
		{"daemon set", &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: template}}, paths("spec.template.spec")},
		{"stateful set", &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: template}}, paths("spec.template.spec")},
		{"replica set", &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: template}}, paths("spec.template.spec")},
		{"job", &batchv1.Job{Spec: batchv1.JobSpec{Template: template}}, paths("spec.template.spec")},
		{"cron job", &batchv1.CronJob{Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template}}}}, paths("spec.jobTemplate.spec.template.spec")},
		{"no pod spec", &corev1.ConfigMap{}, nil},
		{"nothing privileged", &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := PrivilegedContainers(tc.obj)
			if len(errs) != len(tc.want) {
				t.Fatalf("got %v, want %v", errs, tc.want)
			}
			for i, e := range errs {
				if e.Field != tc.want[i] || e.Error() != tc.want[i]+": Forbidden: disallowed by cluster policy" {
					t.Errorf("error %d: %q, want %s: Forbidden: disallowed by cluster policy", i, e.Error(), tc.want[i])
				}
			}
		})
	}
}
