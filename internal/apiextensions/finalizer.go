package apiextensions

import (
	"context"
	"fmt"
	"slices"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/registry"
)

// instanceWait bounds how long the finalizer waits for instances with finalizers of
// their own before it reports them in the Terminating condition and looks again.
const instanceWait = 5 * time.Second

// syncFinalizer deletes every instance of a deleted CRD, then removes the cleanup
// finalizer so the CRD goes, as upstream's CRD finalizer.
func (m *Manager) syncFinalizer(ctx context.Context, name string) error {
	obj, err := m.cfg.CRDs.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	if crd.DeletionTimestamp == nil || !hasFinalizer(crd) {
		return nil
	}
	if _, err := m.updateStatus(ctx, name, func(c *apiextensionsv1.CustomResourceDefinition) {
		setCondition(c, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
			Status: apiextensionsv1.ConditionTrue, Reason: "InstanceDeletionInProgress", Message: "CustomResource deletion is in progress"})
	}); err != nil {
		return ignoreGoneOrConflict(err)
	}

	final := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
		Status: apiextensionsv1.ConditionFalse, Reason: "NeverEstablished", Message: "resource was never established"}
	if isTrue(crd, apiextensionsv1.Established) {
		store := m.storageStore(name)
		if store != nil {
			remaining, err := deleteInstances(ctx, store)
			if err != nil || remaining > 0 {
				cond := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
					Status: apiextensionsv1.ConditionTrue, Reason: "InstanceDeletionFailed",
					Message: fmt.Sprintf("could not delete instances: %v", err)}
				if err == nil {
					cond.Reason = "InstanceDeletionCheck"
					cond.Message = fmt.Sprintf("could not confirm zero CustomResources remaining: %d remaining", remaining)
				}
				if _, uerr := m.updateStatus(ctx, name, func(c *apiextensionsv1.CustomResourceDefinition) { setCondition(c, cond) }); uerr != nil {
					return ignoreGoneOrConflict(uerr)
				}
				return &controlplane.RetryAfter{Delay: time.Second}
			}
		}
		final = apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Terminating,
			Status: apiextensionsv1.ConditionFalse, Reason: "InstanceDeletionCompleted", Message: "removed all instances"}
	}
	if _, err := m.updateStatus(ctx, name, func(c *apiextensionsv1.CustomResourceDefinition) { setCondition(c, final) }); err != nil {
		return ignoreGoneOrConflict(err)
	}
	// Removing the last finalizer of a deleting object deletes it.
	_, _, err = m.cfg.CRDs.Update(ctx, "", name, "", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(crdResource, name)
		}
		c := current.(*apiextensionsv1.CustomResourceDefinition)
		c.Finalizers = slices.DeleteFunc(c.Finalizers, func(f string) bool { return f == apiextensionsv1.CustomResourceCleanupFinalizer })
		return c, nil
	}, nil, nil, false, false)
	return ignoreGoneOrConflict(err)
}

// storageStore returns one store of a served CRD (they share storage), or nil.
func (m *Manager) storageStore(name string) *registry.Store {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.served[name]
	if s == nil {
		return nil
	}
	for _, st := range s.stores {
		return st
	}
	return nil
}

// deleteInstances deletes every instance in every namespace and returns how many
// are still there (held by finalizers) after waiting a little for them.
func deleteInstances(ctx context.Context, store *registry.Store) (int, error) {
	list, err := store.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return 0, err
	}
	for _, item := range items {
		acc, err := meta.Accessor(item)
		if err != nil {
			return 0, err
		}
		if acc.GetDeletionTimestamp() != nil {
			continue
		}
		if _, _, err := store.Delete(ctx, acc.GetNamespace(), acc.GetName(), &metav1.DeleteOptions{}, nil, false); err != nil && !apierrors.IsNotFound(err) {
			return 0, err
		}
	}
	deadline := time.Now().Add(instanceWait)
	for {
		list, err := store.List(ctx, "", &metav1.ListOptions{})
		if err != nil {
			return 0, err
		}
		n := meta.LenList(list)
		if n == 0 || time.Now().After(deadline) {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ignoreGoneOrConflict(err error) error {
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
