package defaults

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Register installs the defaulting function of every type that kube-apiserver
// v1.37 defaults in core/v1 and apps/v1, and of their list types, into s.
// Types that upstream does not default are left out, so s.Default is a no-op
// for them.
func Register(s *runtime.Scheme) {
	add(s, namespace)
	addList(s, func(l *corev1.NamespaceList) []corev1.Namespace { return l.Items }, namespace)
	add(s, configMap)
	addList(s, func(l *corev1.ConfigMapList) []corev1.ConfigMap { return l.Items }, configMap)
	add(s, secret)
	addList(s, func(l *corev1.SecretList) []corev1.Secret { return l.Items }, secret)
	add(s, pod)
	addList(s, func(l *corev1.PodList) []corev1.Pod { return l.Items }, pod)
	add(s, podTemplate)
	addList(s, func(l *corev1.PodTemplateList) []corev1.PodTemplate { return l.Items }, podTemplate)
	add(s, replicationController)
	addList(s, func(l *corev1.ReplicationControllerList) []corev1.ReplicationController { return l.Items }, replicationController)
	add(s, service)
	addList(s, func(l *corev1.ServiceList) []corev1.Service { return l.Items }, service)
	add(s, endpoints)
	addList(s, func(l *corev1.EndpointsList) []corev1.Endpoints { return l.Items }, endpoints)
	add(s, node)
	addList(s, func(l *corev1.NodeList) []corev1.Node { return l.Items }, node)
	add(s, limitRange)
	addList(s, func(l *corev1.LimitRangeList) []corev1.LimitRange { return l.Items }, limitRange)
	add(s, resourceQuota)
	addList(s, func(l *corev1.ResourceQuotaList) []corev1.ResourceQuota { return l.Items }, resourceQuota)
	add(s, persistentVolume)
	addList(s, func(l *corev1.PersistentVolumeList) []corev1.PersistentVolume { return l.Items }, persistentVolume)
	add(s, persistentVolumeClaim)
	addList(s, func(l *corev1.PersistentVolumeClaimList) []corev1.PersistentVolumeClaim { return l.Items }, persistentVolumeClaim)

	add(s, deployment)
	addList(s, func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items }, deployment)
	add(s, replicaSet)
	addList(s, func(l *appsv1.ReplicaSetList) []appsv1.ReplicaSet { return l.Items }, replicaSet)
	add(s, statefulSet)
	addList(s, func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items }, statefulSet)
	add(s, daemonSet)
	addList(s, func(l *appsv1.DaemonSetList) []appsv1.DaemonSet { return l.Items }, daemonSet)

	registerGroups(s)
}

// object is a pointer to an API type T, as the scheme stores them.
type object[T any] interface {
	*T
	runtime.Object
}

// add registers fn as the defaulter of the type *T.
func add[T any, PT object[T]](s *runtime.Scheme, fn func(*T)) {
	s.AddTypeDefaultingFunc(PT(new(T)), func(obj any) { fn(obj.(*T)) })
}

// addList registers a defaulter for list type *L that applies fn to each of
// the items that items returns.
func addList[L any, PL object[L], T any](s *runtime.Scheme, items func(*L) []T, fn func(*T)) {
	s.AddTypeDefaultingFunc(PL(new(L)), func(obj any) {
		list := items(obj.(*L))
		for i := range list {
			fn(&list[i])
		}
	})
}
