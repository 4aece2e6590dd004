package builtin_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/registry/builtin"
)

// TestPrivilegedRefusedForEveryPodSpecKind: without AllowPrivileged, the create
// and update checks of every built-in kind with a pod spec refuse a privileged
// container; with it, none does.
func TestPrivilegedRefusedForEveryPodSpecKind(t *testing.T) {
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox",
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}
	template := corev1.PodTemplateSpec{Spec: spec}
	objects := map[string]runtime.Object{
		"/Pod":                   &corev1.Pod{Spec: spec},
		"/PodTemplate":           &corev1.PodTemplate{Template: template},
		"/ReplicationController": &corev1.ReplicationController{Spec: corev1.ReplicationControllerSpec{Template: &template}},
		"apps/Deployment":        &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: template}},
		"apps/ReplicaSet":        &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Template: template}},
		"apps/StatefulSet":       &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: template}},
		"apps/DaemonSet":         &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: template}},
		"batch/Job":              &batchv1.Job{Spec: batchv1.JobSpec{Template: template}},
		"batch/CronJob":          &batchv1.CronJob{Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template}}}},
	}
	refused := func(errs []string) bool {
		for _, e := range errs {
			if strings.Contains(e, "securityContext.privileged: Forbidden: disallowed by cluster policy") {
				return true
			}
		}
		return false
	}
	for _, allow := range []bool{false, true} {
		seen := map[string]bool{}
		for _, r := range builtin.Resources(builtin.Deps{AllowPrivileged: allow}) {
			key := r.GroupVersion.Group + "/" + r.Kind
			obj, ok := objects[key]
			if !ok || r.Validate == nil || r.ValidateUpdate == nil {
				continue
			}
			seen[key] = true
			var onCreate, onUpdate []string
			for _, e := range r.Validate(obj) {
				onCreate = append(onCreate, e.Error())
			}
			for _, e := range r.ValidateUpdate(obj, obj.DeepCopyObject()) {
				onUpdate = append(onUpdate, e.Error())
			}
			if refused(onCreate) == allow || refused(onUpdate) == allow {
				t.Errorf("%s with AllowPrivileged %v: create %q, update %q", key, allow, onCreate, onUpdate)
			}
		}
		for key := range objects {
			if !seen[key] {
				t.Errorf("no validated resource of kind %s", key)
			}
		}
	}
}
