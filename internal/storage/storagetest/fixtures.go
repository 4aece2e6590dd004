package storagetest

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// Prefix is the resource prefix the suite writes under; stores under test must be
// built for it.
const Prefix = "/registry/pods/"

// GVK is the storage kind of the suite's objects.
var GVK = corev1.SchemeGroupVersion.WithKind("Pod")

// NewFunc returns an empty Pod.
func NewFunc() runtime.Object { return &corev1.Pod{} }

// NewListFunc returns an empty PodList.
func NewListFunc() runtime.Object { return &corev1.PodList{} }

// Codec returns the protobuf codec kube-apiserver stores Pods with.
func Codec() runtime.Codec {
	// A scheme of core/v1 alone keeps the suite independent of the served API set.
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		panic("storagetest: " + err.Error())
	}
	factory := serializer.NewCodecFactory(scheme)
	info, ok := runtime.SerializerInfoForMediaType(factory.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		panic("storagetest: the scheme has no protobuf serializer")
	}
	gv := schema.GroupVersions{corev1.SchemeGroupVersion}
	return factory.CodecForVersions(info.Serializer, info.Serializer, gv, gv)
}

// GetAttrs returns a Pod's labels and the fields the suite selects on.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil, fmt.Errorf("not a pod: %T", obj)
	}
	return labels.Set(pod.Labels), fields.Set{
		"metadata.name":      pod.Name,
		"metadata.namespace": pod.Namespace,
		"spec.nodeName":      pod.Spec.NodeName,
		"status.phase":       string(pod.Status.Phase),
	}, nil
}

// Key returns the etcd key of the Pod ns/name.
func Key(ns, name string) string { return Prefix + ns + "/" + name }
