package validation

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validDeployment() *appsv1.Deployment {
	p := validPod()
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "default", ResourceVersion: "1"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: p.Spec},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
		},
	}
}

func TestValidateUpdate(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default", ResourceVersion: "1"}, Immutable: ptr(true), Data: map[string]string{"a": "1"}}
	tests := []struct {
		name     string
		fn       func(obj, old runtime.Object) field.ErrorList
		obj, old runtime.Object
		want     []string
	}{
		{"immutable configmap data", ValidateConfigMapUpdate,
			func() runtime.Object { c := cm.DeepCopy(); c.Data["a"] = "2"; return c }(), cm,
			[]string{"data: Forbidden: field is immutable when `immutable` is set"}},
		{"namespace of object is immutable", ValidateConfigMapUpdate,
			func() runtime.Object { c := cm.DeepCopy(); c.Namespace = "other"; return c }(), cm,
			[]string{`metadata.namespace: Invalid value: "other": field is immutable`}},
		{"pod image may change", ValidatePodUpdate,
			func() runtime.Object { p := validPod(); p.Spec.Containers[0].Image = "nginx:2"; return p }(), validPod(), nil},
		{"deployment selector is immutable", ValidateDeploymentUpdate,
			func() runtime.Object {
				d := validDeployment()
				d.Spec.Selector.MatchLabels["tier"] = "x"
				d.Spec.Template.Labels["tier"] = "x"
				return d
			}(), validDeployment(),
			[]string{`spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable`}},
		{"service cluster IP may not change", ValidateServiceUpdate,
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default", ResourceVersion: "1"}, Spec: corev1.ServiceSpec{
				Type: "ClusterIP", SessionAffinity: "None", ClusterIP: "10.0.0.2", ClusterIPs: []string{"10.0.0.2"}, Ports: []corev1.ServicePort{{Port: 80, Protocol: "TCP", TargetPort: intstr.FromInt32(80)}}}},
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default", ResourceVersion: "1"}, Spec: corev1.ServiceSpec{
				Type: "ClusterIP", SessionAffinity: "None", ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1"}, Ports: []corev1.ServicePort{{Port: 80, Protocol: "TCP", TargetPort: intstr.FromInt32(80)}}}},
			[]string{`spec.clusterIPs[0]: Invalid value: ["10.0.0.2"]: may not change once set`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrs(t, tt.fn(tt.obj, tt.old), tt.want)
		})
	}
}

func TestPodUpdateForbiddenField(t *testing.T) {
	p := validPod()
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	errs := ValidatePodUpdate(p, validPod())
	if len(errs) != 1 || errs[0].Type != field.ErrorTypeForbidden || errs[0].Field != "spec" ||
		!strings.HasPrefix(errs[0].Detail, "pod updates may not change fields other than `spec.containers[*].image`,") {
		t.Fatalf("got %v", errs)
	}
}

func TestDeploymentSelectorMismatch(t *testing.T) {
	d := validDeployment()
	d.Spec.Template.Labels = map[string]string{"app": "other"}
	wantErrs(t, ValidateDeployment(d), []string{"spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`"})
}
