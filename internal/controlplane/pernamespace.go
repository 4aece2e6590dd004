package controlplane

import (
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// QueueNamespaces wires the controllers that keep one named object in every
// namespace (the default ServiceAccount, kube-root-ca.crt): a namespace is queued
// when it appears or changes, and again when its object called name is changed
// (onUpdate) or deleted, so that the object is put back.
func QueueNamespaces(q *Queue, namespaces, objects cache.SharedIndexInformer, name string, onUpdate bool) error {
	if _, err := namespaces.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { queueNamespace(q, obj) },
		UpdateFunc: func(_, obj any) { queueNamespace(q, obj) },
	}); err != nil {
		return err
	}
	objectChanged := func(obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if m, ok := obj.(metav1.Object); ok && m.GetName() == name {
			q.Add(m.GetNamespace())
		}
	}
	handlers := cache.ResourceEventHandlerFuncs{DeleteFunc: objectChanged}
	if onUpdate {
		handlers.UpdateFunc = func(_, obj any) { objectChanged(obj) }
	}
	_, err := objects.AddEventHandler(handlers)
	return err
}

func queueNamespace(q *Queue, obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok {
		q.Add(ns.Name)
	}
}

// ActiveNamespace reports whether namespace name exists and is not terminating:
// nothing is created in a namespace on its way out.
func ActiveNamespace(namespaces corelisters.NamespaceLister, name string) (bool, error) {
	ns, err := namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return ns.Status.Phase == corev1.NamespaceActive, nil
}
