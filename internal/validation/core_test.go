package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidateCreate(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "x", Namespace: "default"}
	tests := []struct {
		name string
		fn   func(runtime.Object) field.ErrorList
		obj  runtime.Object
		want []string
	}{
		{"namespace name must be a DNS label", ValidateNamespace, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}},
			[]string{`metadata.name: Invalid value: "a.b": must not contain dots`}},
		{"configmap bad key and duplicate", ValidateConfigMap, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"a b": "", "k": ""}, BinaryData: map[string][]byte{"k": nil}},
			[]string{`data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
				`data[k]: Invalid value: "k": duplicate of key present in binaryData`}},
		{"configmap too large", ValidateConfigMap, &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"k": strings.Repeat("x", 1<<20+1)}},
			[]string{`[]: Too long: may not be more than 1048576 bytes`}},
		{"tls secret needs both keys", ValidateSecret, &corev1.Secret{ObjectMeta: meta, Type: corev1.SecretTypeTLS},
			[]string{`data[tls.crt]: Required value`, `data[tls.key]: Required value`}},
		{"basic-auth secret accepts stringData", ValidateSecret, &corev1.Secret{ObjectMeta: meta, Type: corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": "u"}}, nil},
		{"pod without containers", ValidatePod, func() runtime.Object { p := validPod(); p.Spec.Containers = nil; return p }(),
			[]string{`spec.containers: Required value`}},
		{"pod container mistakes", ValidatePod, func() runtime.Object {
			p := validPod()
			c := &p.Spec.Containers[0]
			c.Image = ""
			c.Ports = []corev1.ContainerPort{{ContainerPort: 70000, Protocol: "ICMP"}}
			c.Env = []corev1.EnvVar{{Name: ""}}
			c.VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/d"}}
			c.Resources = corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{"cpu": resource.MustParse("1")},
				Requests: corev1.ResourceList{"cpu": resource.MustParse("2")},
			}
			p.Spec.Containers = append(p.Spec.Containers, *c.DeepCopy())
			p.Spec.Containers[1].Ports, p.Spec.Containers[1].Env, p.Spec.Containers[1].VolumeMounts, p.Spec.Containers[1].Resources = nil, nil, nil, corev1.ResourceRequirements{}
			p.Spec.Containers[1].Image = "x"
			p.Spec.RestartPolicy = "Sometimes"
			p.Spec.DNSPolicy = ""
			return p
		}(), []string{
			`spec.containers[0].image: Required value`,
			`spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
			`spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"`,
			`spec.containers[0].env[0].name: Required value`,
			`spec.containers[0].volumeMounts[0].name: Not found: "data"`,
			`spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`,
			`spec.containers[1].name: Duplicate value: "app"`,
			`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`,
			`spec.dnsPolicy: Required value`,
		}},
		{"pod duplicate volumes", ValidatePod, func() runtime.Object {
			p := validPod()
			src := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: src}, {Name: "v", VolumeSource: src}, {Name: "w"}}
			return p
		}(), []string{`spec.volumes[1].name: Duplicate value: "v"`, `spec.volumes[2]: Required value: must specify a volume type`}},
		{"service mistakes", ValidateService, &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
			Type: "Magic", SessionAffinity: corev1.ServiceAffinityNone, Selector: map[string]string{"a": "b c"},
			Ports: []corev1.ServicePort{{Port: 80, Protocol: "TCP", TargetPort: intstr.FromInt32(80)}, {Name: "b", Port: 0, Protocol: "TCP", TargetPort: intstr.FromString("http")}},
		}}, []string{
			`spec.ports[0].name: Required value`,
			`spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive`,
			`spec.selector: Invalid value: "b c": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
			`spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
		}},
		{"service without ports", ValidateService, &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: "ClusterIP", SessionAffinity: "None"}},
			[]string{`spec.ports: Required value`}},
		{"headless service needs no ports", ValidateService, &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Type: "ClusterIP", SessionAffinity: "None", ClusterIP: "None", ClusterIPs: []string{"None"}}}, nil},
		{"clusterIPs must start with clusterIP", ValidateService, serviceWithIPs("10.0.0.5", []string{"10.0.0.6"}, nil, ""),
			[]string{"spec.clusterIPs: Invalid value: [\"10.0.0.6\"]: first value must match `clusterIP`"}},
		{"clusterIPs without clusterIP", ValidateService, serviceWithIPs("", []string{"10.0.0.5", "fd00::5"}, nil, ""),
			[]string{"spec.clusterIPs: Invalid value: [\"10.0.0.5\",\"fd00::5\"]: must be empty when `clusterIP` is not specified"}},
		{"clusterIP without clusterIPs", ValidateService, serviceWithIPs("10.0.0.5", nil, nil, ""), []string{"spec.clusterIPs: Required value"}},
		{"two addresses of one family", ValidateService, serviceWithIPs("10.0.0.5", []string{"10.0.0.5", "10.0.0.6"}, nil, "PreferDualStack"),
			[]string{"spec.clusterIPs: Invalid value: [\"10.0.0.5\",\"10.0.0.6\"]: may specify no more than one IP for each IP family"}},
		{"None and an address", ValidateService, serviceWithIPs("None", []string{"None", "10.0.0.6"}, nil, ""),
			[]string{"spec.clusterIPs: Invalid value: [\"None\",\"10.0.0.6\"]: 'None' must be the first and only value"}},
		{"address of the other family", ValidateService, serviceWithIPs("10.0.0.5", []string{"10.0.0.5"}, []corev1.IPFamily{"IPv6"}, ""),
			[]string{"spec.clusterIPs[0]: Invalid value: \"10.0.0.5\": expected an IPv6 value as indicated by `ipFamilies[0]`"}},
		{"unknown family and policy", ValidateService, serviceWithIPs("", nil, []corev1.IPFamily{"IPv5", "IPv5"}, "Bogus"), []string{
			`spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"`,
			`spec.ipFamilies[1]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"`,
			`spec.ipFamilies[1]: Duplicate value: "IPv5"`,
			`spec.ipFamilyPolicy: Unsupported value: "Bogus": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"`}},
		{"dual-stack addresses", ValidateService, serviceWithIPs("fd00::5", []string{"fd00::5", "10.0.0.5"}, []corev1.IPFamily{"IPv6", "IPv4"}, "RequireDualStack"), nil},
		{"event namespace mismatch", ValidateEvent, &corev1.Event{ObjectMeta: meta, InvolvedObject: corev1.ObjectReference{Namespace: "other"}},
			[]string{`involvedObject.namespace: Invalid value: "other": does not match event.namespace`}},
		{"pv needs one source", ValidatePersistentVolume, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv"}, Spec: corev1.PersistentVolumeSpec{
			Capacity: corev1.ResourceList{"storage": resource.MustParse("1Gi")}, AccessModes: []corev1.PersistentVolumeAccessMode{"ReadWriteOnce"},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/a"}, NFS: &corev1.NFSVolumeSource{Server: "s", Path: "/"}},
		}}, []string{`spec.nfs: Forbidden: may not specify more than 1 volume type`}},
		{"pvc needs access modes and storage", ValidatePersistentVolumeClaim, &corev1.PersistentVolumeClaim{ObjectMeta: meta},
			[]string{`spec.accessModes: Required value: at least 1 access mode is required`, `spec.resources[storage]: Required value`}},
		{"wrong type is an internal error", ValidateConfigMap, &corev1.Pod{}, []string{`<nil>: Internal error: expected *v1.ConfigMap, got *v1.Pod`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrs(t, tt.fn(tt.obj), tt.want)
		})
	}
}

// serviceWithIPs is a valid ClusterIP Service but for its address fields.
func serviceWithIPs(clusterIP string, clusterIPs []string, families []corev1.IPFamily, policy corev1.IPFamilyPolicy) *corev1.Service {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"}, Spec: corev1.ServiceSpec{
		Type: "ClusterIP", SessionAffinity: "None", ClusterIP: clusterIP, ClusterIPs: clusterIPs, IPFamilies: families,
		Ports: []corev1.ServicePort{{Port: 80, Protocol: "TCP", TargetPort: intstr.FromInt32(80)}},
	}}
	if policy != "" {
		svc.Spec.IPFamilyPolicy = &policy
	}
	return svc
}
