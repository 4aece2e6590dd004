package printers

// This file holds only fixtures: k8s.io/api and apimachinery types, no kapi code.
// That keeps it portable: the same objects and expected cells were fed through
// upstream's printers (k8s.io/kubernetes v1.37.2, converted to internal types, in a
// throwaway module outside this repo, since kapi may not import it) and matched.

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// rowCase is one object and the cells upstream prints for it (wide cells included,
// as the server always sends them).
type rowCase struct {
	name     string
	resource string
	obj      runtime.Object
	want     []any
}

// fixtureNow is the fixed "now" of every case; ages are relative to it.
var fixtureNow = time.Date(2026, time.November, 2, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(fixtureNow.Add(-d)) }

func microAgo(d time.Duration) metav1.MicroTime { return metav1.NewMicroTime(fixtureNow.Add(-d)) }

func om(name string, age time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(age)}
}

func terminating(m metav1.ObjectMeta) metav1.ObjectMeta {
	t := ago(time.Second)
	m.DeletionTimestamp = &t
	return m
}

func int32p(i int32) *int32 { return &i }
func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

func containers(names ...string) []corev1.Container {
	out := make([]corev1.Container, len(names))
	for i, n := range names {
		out[i] = corev1.Container{Name: n, Image: "registry.k8s.io/" + n + ":1.0"}
	}
	return out
}

func nodeCases() []rowCase {
	return []rowCase{
		{
			name: "ready control plane with roles", resource: "nodes",
			obj: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "cp-1", CreationTimestamp: ago(400 * 24 * time.Hour), Labels: map[string]string{
					"node-role.kubernetes.io/control-plane": "",
					"node-role.kubernetes.io/etcd":          "true",
					"kubernetes.io/role":                    "master",
					"kubernetes.io/hostname":                "cp-1",
				}},
				Status: corev1.NodeStatus{
					Conditions: []corev1.NodeCondition{
						{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
						{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
					},
					Addresses: []corev1.NodeAddress{
						{Type: corev1.NodeHostName, Address: "cp-1"},
						{Type: corev1.NodeInternalIP, Address: "192.168.1.10"},
						{Type: corev1.NodeExternalIP, Address: "203.0.113.7"},
					},
					NodeInfo: corev1.NodeSystemInfo{
						KubeletVersion: "v1.37.2", OSImage: "Ubuntu 24.04.1 LTS", KernelVersion: "6.8.0-45-generic",
						Architecture: "amd64", ContainerRuntimeVersion: "containerd://2.1.4",
					},
				},
			},
			want: []any{"cp-1", "Ready", "control-plane,etcd,master", "400d", "v1.37.2", "192.168.1.10", "203.0.113.7", "Ubuntu 24.04.1 LTS", "6.8.0-45-generic (amd64)", "containerd://2.1.4"},
		},
		{
			name: "cordoned and not ready", resource: "nodes",
			obj: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "worker-1", CreationTimestamp: ago(5 * time.Hour)},
				Spec:       corev1.NodeSpec{Unschedulable: true},
				Status: corev1.NodeStatus{
					Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown}},
					NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.36.0"},
				},
			},
			want: []any{"worker-1", "NotReady,SchedulingDisabled", "<none>", "5h", "v1.36.0", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
		{
			name: "never reported", resource: "nodes",
			obj:  &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "new", CreationTimestamp: ago(3 * time.Second)}},
			want: []any{"new", "Unknown", "<none>", "3s", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
	}
}

func serviceCases() []rowCase {
	return []rowCase{
		{
			name: "cluster IP with external IPs", resource: "services",
			obj: &corev1.Service{
				ObjectMeta: om("kube-dns", 30*24*time.Hour),
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10", "fd00:10:96::a"},
					ExternalIPs: []string{"203.0.113.10", "203.0.113.11"},
					Ports: []corev1.ServicePort{
						{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
						{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP},
						{Name: "metrics", Port: 9153, Protocol: corev1.ProtocolTCP},
					},
					Selector: map[string]string{"k8s-app": "kube-dns"},
				},
			},
			want: []any{"kube-dns", "ClusterIP", "10.96.0.10", "203.0.113.10,203.0.113.11", "53/UDP,53/TCP,9153/TCP", "30d", "k8s-app=kube-dns"},
		},
		{
			name: "node port", resource: "services",
			obj: &corev1.Service{
				ObjectMeta: om("web", time.Hour),
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeNodePort, ClusterIP: "10.96.4.2", ClusterIPs: []string{"10.96.4.2"},
					Ports:    []corev1.ServicePort{{Port: 80, NodePort: 30080, Protocol: corev1.ProtocolTCP}},
					Selector: map[string]string{"app": "web", "tier": "front"},
				},
			},
			want: []any{"web", "NodePort", "10.96.4.2", "<none>", "80:30080/TCP", "60m", "app=web,tier=front"},
		},
		{
			name: "load balancer pending", resource: "services",
			obj: &corev1.Service{
				ObjectMeta: om("lb-pending", time.Hour),
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.4.3", ClusterIPs: []string{"10.96.4.3"},
					Ports: []corev1.ServicePort{{Port: 443, NodePort: 31443, Protocol: corev1.ProtocolTCP}},
				},
			},
			want: []any{"lb-pending", "LoadBalancer", "10.96.4.3", "<pending>", "443:31443/TCP", "60m", "<none>"},
		},
		{
			name: "load balancer with ingress and external IPs", resource: "services",
			obj: &corev1.Service{
				ObjectMeta: om("lb", time.Hour),
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.96.4.4", ClusterIPs: []string{"10.96.4.4"},
					ExternalIPs: []string{"203.0.113.5"},
					Ports:       []corev1.ServicePort{{Port: 443, NodePort: 31444, Protocol: corev1.ProtocolTCP}},
				},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
					{IP: "198.51.100.2"}, {Hostname: "a-very-long-load-balancer-name.elb.example.com"}, {IP: "198.51.100.1"}, {IP: "198.51.100.2"},
				}}},
			},
			want: []any{"lb", "LoadBalancer", "10.96.4.4", "198.51.100.1,198.51.100.2,a-very-long-load-balancer-name.elb.example.com,203.0.113.5", "443:31444/TCP", "60m", "<none>"},
		},
		{
			name: "external name", resource: "services",
			obj: &corev1.Service{
				ObjectMeta: om("db", 90*time.Second),
				Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"},
			},
			want: []any{"db", "ExternalName", "<none>", "db.example.com", "<none>", "90s", "<none>"},
		},
		{
			name: "headless", resource: "services",
			obj: &corev1.Service{
				ObjectMeta: om("stateful", 90*time.Second),
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeClusterIP, ClusterIP: "None", ClusterIPs: []string{"None"},
					Selector: map[string]string{"app": "db"},
				},
			},
			want: []any{"stateful", "ClusterIP", "None", "<none>", "<none>", "90s", "app=db"},
		},
	}
}

func endpointsCases() []rowCase {
	return []rowCase{
		{
			name: "more than three", resource: "endpoints",
			obj: &corev1.Endpoints{
				ObjectMeta: om("web", time.Hour),
				Subsets: []corev1.EndpointSubset{{
					Addresses: []corev1.EndpointAddress{{IP: "10.244.0.1"}, {IP: "fd00::2"}},
					Ports:     []corev1.EndpointPort{{Name: "http", Port: 80}, {Name: "https", Port: 443}},
				}},
			},
			want: []any{"web", "10.244.0.1:80,[fd00::2]:80,10.244.0.1:443 + 1 more...", "60m"},
		},
		{
			name: "headless without ports", resource: "endpoints",
			obj: &corev1.Endpoints{
				ObjectMeta: om("db", time.Hour),
				Subsets:    []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "10.244.1.1"}, {IP: "10.244.1.2"}}}},
			},
			want: []any{"db", "10.244.1.1,10.244.1.2", "60m"},
		},
		{
			name: "no subsets", resource: "endpoints",
			obj:  &corev1.Endpoints{ObjectMeta: om("empty", time.Hour)},
			want: []any{"empty", "<none>", "60m"},
		},
	}
}

func eventCases() []rowCase {
	return []rowCase{
		{
			name: "core event with a count", resource: "events",
			obj: &corev1.Event{
				ObjectMeta:     om("web-1.17f", 10*time.Minute),
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1", FieldPath: "spec.containers{app}"},
				Reason:         "BackOff", Message: "Back-off restarting failed container\n", Type: corev1.EventTypeWarning,
				Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
				FirstTimestamp: ago(10 * time.Minute), LastTimestamp: ago(30 * time.Second), Count: 7,
			},
			want: []any{"30s", "Warning", "BackOff", "pod/web-1", "spec.containers{app}", "kubelet, node-1", "Back-off restarting failed container", "10m", int64(7), "web-1.17f"},
		},
		{
			name: "events.k8s.io event with a series", resource: "events.events.k8s.io",
			obj: &corev1.Event{
				ObjectMeta:          om("web.18a", 20*time.Minute),
				InvolvedObject:      corev1.ObjectReference{Kind: "Deployment", Name: "web"},
				Reason:              "ScalingReplicaSet",
				Message:             "Scaled up replica set web-5d9 to 3",
				Type:                corev1.EventTypeNormal,
				EventTime:           microAgo(20 * time.Minute),
				Series:              &corev1.EventSeries{Count: 4, LastObservedTime: microAgo(2 * time.Minute)},
				ReportingController: "deployment-controller",
				ReportingInstance:   "kcm-1",
			},
			want: []any{"2m", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller, kcm-1", "Scaled up replica set web-5d9 to 3", "20m", int64(4), "web.18a"},
		},
		{
			name: "singleton without a name or timestamps", resource: "events",
			obj: &corev1.Event{
				ObjectMeta:     om("cluster.1", time.Minute),
				InvolvedObject: corev1.ObjectReference{Kind: "Cluster"},
				Reason:         "Started", Type: corev1.EventTypeNormal,
				ReportingController: "kapi",
			},
			want: []any{"<unknown>", "Normal", "Started", "cluster", "", "kapi", "", "<unknown>", int64(1), "cluster.1"},
		},
	}
}

func simpleCoreCases() []rowCase {
	return []rowCase{
		{
			name: "active namespace", resource: "namespaces",
			obj: &corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "kube-system", CreationTimestamp: ago(3 * 365 * 24 * time.Hour)},
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
			want: []any{"kube-system", "Active", "3y"},
		},
		{
			name: "terminating namespace", resource: "namespaces",
			obj: &corev1.Namespace{
				ObjectMeta: terminating(metav1.ObjectMeta{Name: "old", CreationTimestamp: ago(7*time.Hour + 20*time.Minute)}),
				Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
			},
			want: []any{"old", "Terminating", "7h20m"},
		},
		{
			name: "configmap counts data and binaryData", resource: "configmaps",
			obj: &corev1.ConfigMap{
				ObjectMeta: om("settings", 36*time.Hour),
				Data:       map[string]string{"a": "1", "b": "2"},
				BinaryData: map[string][]byte{"c": {3}},
			},
			want: []any{"settings", int64(3), "36h"},
		},
		{
			name: "secret", resource: "secrets",
			obj: &corev1.Secret{
				ObjectMeta: om("tls", 50*time.Hour),
				Type:       corev1.SecretTypeTLS,
				Data:       map[string][]byte{"tls.crt": nil, "tls.key": nil},
			},
			want: []any{"tls", "kubernetes.io/tls", int64(2), "2d2h"},
		},
		{
			name: "service account", resource: "serviceaccounts",
			obj:  &corev1.ServiceAccount{ObjectMeta: om("default", 10*24*time.Hour)},
			want: []any{"default", "10d"},
		},
		{
			name: "limit range uses the default table", resource: "limitranges",
			obj:  &corev1.LimitRange{ObjectMeta: om("limits", time.Hour)},
			want: []any{"limits", "2026-11-02T11:00:00Z"},
		},
		{
			name: "resource quota splits requests and limits", resource: "resourcequotas",
			obj: &corev1.ResourceQuota{
				ObjectMeta: om("compute", time.Hour),
				Status: corev1.ResourceQuotaStatus{
					Hard: corev1.ResourceList{
						corev1.ResourcePods:           resource.MustParse("10"),
						corev1.ResourceRequestsCPU:    resource.MustParse("1"),
						corev1.ResourceLimitsMemory:   resource.MustParse("2Gi"),
						corev1.ResourceLimitsCPU:      resource.MustParse("2"),
						corev1.ResourceRequestsMemory: resource.MustParse("1Gi"),
					},
					Used: corev1.ResourceList{
						corev1.ResourcePods:         resource.MustParse("3"),
						corev1.ResourceRequestsCPU:  resource.MustParse("500m"),
						corev1.ResourceLimitsMemory: resource.MustParse("1Gi"),
					},
				},
			},
			want: []any{"compute", "pods: 3/10, requests.cpu: 500m/1, requests.memory: 0/1Gi", "limits.cpu: 0/2, limits.memory: 1Gi/2Gi", "60m"},
		},
		{
			name: "pod template", resource: "podtemplates",
			obj: &corev1.PodTemplate{
				ObjectMeta: om("tmpl", time.Hour),
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
					Spec:       corev1.PodSpec{Containers: containers("app", "proxy")},
				},
			},
			want: []any{"tmpl", "app,proxy", "registry.k8s.io/app:1.0,registry.k8s.io/proxy:1.0", "app=web"},
		},
		{
			name: "replication controller", resource: "replicationcontrollers",
			obj: &corev1.ReplicationController{
				ObjectMeta: om("rc", time.Hour),
				Spec: corev1.ReplicationControllerSpec{
					Replicas: int32p(3), Selector: map[string]string{"app": "rc"},
					Template: &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers("app")}},
				},
				Status: corev1.ReplicationControllerStatus{Replicas: 3, ReadyReplicas: 2},
			},
			want: []any{"rc", int64(3), int64(3), int64(2), "60m", "app", "registry.k8s.io/app:1.0", "app=rc"},
		},
		{
			name: "replication controller without template", resource: "replicationcontrollers",
			obj:  &corev1.ReplicationController{ObjectMeta: om("bare", time.Hour)},
			want: []any{"bare", int64(0), int64(0), int64(0), "60m", "", "", "<none>"},
		},
	}
}

func volumeCases() []rowCase {
	fs, block := corev1.PersistentVolumeFilesystem, corev1.PersistentVolumeBlock
	return []rowCase{
		{
			name: "bound volume", resource: "persistentvolumes",
			obj: &corev1.PersistentVolume{
				ObjectMeta: metav1.ObjectMeta{Name: "pv-1", CreationTimestamp: ago(time.Hour)},
				Spec: corev1.PersistentVolumeSpec{
					Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
					AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOnce},
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
					ClaimRef:                      &corev1.ObjectReference{Namespace: "default", Name: "data"},
					StorageClassName:              "standard",
					VolumeMode:                    &fs,
				},
				Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound},
			},
			want: []any{"pv-1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "standard", "<unset>", "", "60m", "Filesystem"},
		},
		{
			name: "terminating volume with the beta class annotation", resource: "persistentvolumes",
			obj: &corev1.PersistentVolume{
				ObjectMeta: terminating(metav1.ObjectMeta{
					Name: "pv-2", CreationTimestamp: ago(time.Hour),
					Annotations: map[string]string{"volume.beta.kubernetes.io/storage-class": "fast"},
				}),
				Spec: corev1.PersistentVolumeSpec{
					AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod, corev1.ReadOnlyMany},
					PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
					StorageClassName:              "ignored",
					VolumeAttributesClassName:     strp("gold"),
				},
				Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeFailed, Reason: "RecyclerFailed"},
			},
			want: []any{"pv-2", "0", "ROX,RWOP", "Delete", "Terminating", "", "fast", "gold", "RecyclerFailed", "60m", "<unset>"},
		},
		{
			name: "bound claim", resource: "persistentvolumeclaims",
			obj: &corev1.PersistentVolumeClaim{
				ObjectMeta: om("data", time.Hour),
				Spec: corev1.PersistentVolumeClaimSpec{
					VolumeName: "pv-1", StorageClassName: strp("standard"), VolumeAttributesClassName: strp("gold"), VolumeMode: &block,
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}},
				},
				Status: corev1.PersistentVolumeClaimStatus{
					Phase:       corev1.ClaimBound,
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
				},
			},
			want: []any{"data", "Bound", "pv-1", "10Gi", "RWO", "standard", "gold", "60m", "Block"},
		},
		{
			name: "pending claim", resource: "persistentvolumeclaims",
			obj: &corev1.PersistentVolumeClaim{
				ObjectMeta: om("wait", time.Hour),
				Spec: corev1.PersistentVolumeClaimSpec{
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("5Gi")}},
				},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
			},
			want: []any{"wait", "Pending", "", "", "", "", "<unset>", "60m", "<unset>"},
		},
	}
}

func appsCases() []rowCase {
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers("nginx", "exporter")}}
	sel := &metav1.LabelSelector{
		MatchLabels:      map[string]string{"app": "web"},
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"front", "edge"}}},
	}
	owner := func(apiVersion, kind, name string) metav1.ObjectMeta {
		m := om("rev-1", time.Hour)
		m.OwnerReferences = []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: "u1", Controller: boolp(true)}}
		return m
	}
	images := "registry.k8s.io/nginx:1.0,registry.k8s.io/exporter:1.0"
	return []rowCase{
		{
			name: "deployment rolling out", resource: "deployments",
			obj: &appsv1.Deployment{
				ObjectMeta: om("web", 45*time.Minute),
				Spec:       appsv1.DeploymentSpec{Replicas: int32p(3), Selector: sel, Template: tmpl},
				Status:     appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 3},
			},
			want: []any{"web", "3/3", int64(2), int64(3), "45m", "nginx,exporter", images, "app=web,tier in (edge,front)"},
		},
		{
			name: "deployment without replicas or selector", resource: "deployments",
			obj:  &appsv1.Deployment{ObjectMeta: om("bare", 45*time.Minute)},
			want: []any{"bare", "0/0", int64(0), int64(0), "45m", "", "", ""},
		},
		{
			name: "deployment with an invalid selector", resource: "deployments",
			obj: &appsv1.Deployment{
				ObjectMeta: om("bad", 45*time.Minute),
				Spec: appsv1.DeploymentSpec{Replicas: int32p(1), Selector: &metav1.LabelSelector{
					MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}},
				}},
			},
			want: []any{"bad", "0/1", int64(0), int64(0), "45m", "", "", "<invalid>"},
		},
		{
			name: "replica set", resource: "replicasets",
			obj: &appsv1.ReplicaSet{
				ObjectMeta: om("web-5d9", 45*time.Minute),
				Spec:       appsv1.ReplicaSetSpec{Replicas: int32p(3), Selector: sel, Template: tmpl},
				Status:     appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1},
			},
			want: []any{"web-5d9", int64(3), int64(3), int64(1), "45m", "nginx,exporter", images, "app=web,tier in (edge,front)"},
		},
		{
			name: "replica set with an empty selector", resource: "replicasets",
			obj: &appsv1.ReplicaSet{
				ObjectMeta: om("all", 45*time.Minute),
				Spec:       appsv1.ReplicaSetSpec{Replicas: int32p(0), Selector: &metav1.LabelSelector{}},
			},
			want: []any{"all", int64(0), int64(0), int64(0), "45m", "", "", "<none>"},
		},
		{
			name: "stateful set", resource: "statefulsets",
			obj: &appsv1.StatefulSet{
				ObjectMeta: om("db", 45*time.Minute),
				Spec:       appsv1.StatefulSetSpec{Replicas: int32p(3), Selector: sel, Template: tmpl},
				Status:     appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 2},
			},
			want: []any{"db", "2/3", "45m", "nginx,exporter", images},
		},
		{
			name: "daemon set", resource: "daemonsets",
			obj: &appsv1.DaemonSet{
				ObjectMeta: om("agent", 45*time.Minute),
				Spec: appsv1.DaemonSetSpec{Selector: sel, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					Containers:   containers("agent"),
					NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
				}}},
				Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 5, CurrentNumberScheduled: 5, NumberReady: 4, UpdatedNumberScheduled: 3, NumberAvailable: 4},
			},
			want: []any{"agent", int64(5), int64(5), int64(4), int64(3), int64(4), "kubernetes.io/os=linux", "45m", "agent", "registry.k8s.io/agent:1.0", "app=web,tier in (edge,front)"},
		},
		{
			name: "controller revision of a stateful set", resource: "controllerrevisions",
			obj:  &appsv1.ControllerRevision{ObjectMeta: owner("apps/v1", "StatefulSet", "db"), Revision: 4},
			want: []any{"rev-1", "statefulset.apps/db", int64(4), "60m"},
		},
		{
			name: "controller revision owned by a core kind", resource: "controllerrevisions",
			obj:  &appsv1.ControllerRevision{ObjectMeta: owner("v1", "Pod", "p"), Revision: 1},
			want: []any{"rev-1", "pod/p", int64(1), "60m"},
		},
		{
			name: "controller revision without controller", resource: "controllerrevisions",
			obj:  &appsv1.ControllerRevision{ObjectMeta: om("rev-2", time.Hour), Revision: 2},
			want: []any{"rev-2", "<none>", int64(2), "60m"},
		},
	}
}

func leaseCases() []rowCase {
	return []rowCase{
		{
			name: "held lease", resource: "leases",
			obj: &coordinationv1.Lease{
				ObjectMeta: om("kube-scheduler", 2*time.Hour),
				Spec:       coordinationv1.LeaseSpec{HolderIdentity: strp("cp-1_6f1c")},
			},
			want: []any{"kube-scheduler", "cp-1_6f1c", "120m"},
		},
		{
			name: "released lease", resource: "leases",
			obj:  &coordinationv1.Lease{ObjectMeta: om("free", 2*time.Hour)},
			want: []any{"free", "", "120m"},
		},
	}
}

// allRowCases is every fixture, grouped by resource.
func allRowCases() []rowCase {
	var out []rowCase
	for _, group := range [][]rowCase{
		podCases(), nodeCases(), serviceCases(), endpointsCases(), eventCases(),
		simpleCoreCases(), volumeCases(), appsCases(), leaseCases(),
	} {
		out = append(out, group...)
	}
	return out
}
