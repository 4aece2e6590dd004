package garbagecollector

import (
	"context"
	"encoding/json"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ownerState is what became of one owner of a dependent.
type ownerState int

const (
	ownerPresent ownerState = iota
	ownerGone               // absent, or replaced by an object with another UID
	ownerWaiting            // being deleted in the foreground
	ownerUnknown            // its kind is not served: leave the dependent alone
)

// ownerStatus looks the owner up in the graph, then live (the graph may lag).
func (c *Collector) ownerStatus(ctx context.Context, dep node, ref metav1.OwnerReference) (ownerState, error) {
	info, ok := c.resolve(ref)
	if !ok {
		return ownerUnknown, nil
	}
	// An owner lives in its dependent's namespace, or is cluster-scoped.
	ns := ""
	if info.namespaced {
		ns = dep.namespace
	}
	if o, ok := c.graph.get(ref.UID); ok && o.namespace == ns && o.name == ref.Name {
		return stateOf(o.deleting, o.finalizers), nil
	}
	live, err := c.client.Resource(info.gvr).Namespace(ns).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ownerGone, nil
	}
	if err != nil {
		return ownerUnknown, err
	}
	if live.UID != ref.UID {
		return ownerGone, nil
	}
	return stateOf(live.DeletionTimestamp != nil, live.Finalizers), nil
}

func stateOf(deleting bool, finalizers []string) ownerState {
	if deleting && slices.Contains(finalizers, metav1.FinalizerDeleteDependents) {
		return ownerWaiting
	}
	return ownerPresent
}

// processDependent deletes a dependent whose owners are all gone or waiting, and
// drops the references to gone or waiting owners of one that still has a live owner.
func (c *Collector) processDependent(ctx context.Context, n node) error {
	var present, stale, waiting []types.UID
	for _, ref := range n.owners {
		st, err := c.ownerStatus(ctx, n, ref)
		if err != nil {
			return err
		}
		switch st {
		case ownerUnknown:
			return nil
		case ownerPresent:
			present = append(present, ref.UID)
		case ownerGone:
			stale = append(stale, ref.UID)
		case ownerWaiting:
			stale = append(stale, ref.UID)
			waiting = append(waiting, ref.UID)
		}
	}
	res := c.client.Resource(n.gvr).Namespace(n.namespace)
	switch {
	case len(stale) == 0:
		return nil
	case len(present) > 0:
		keep := slices.DeleteFunc(slices.Clone(n.owners), func(r metav1.OwnerReference) bool { return slices.Contains(stale, r.UID) })
		return c.patchOwners(ctx, n, keep)
	case len(waiting) > 0 && len(c.graph.dependentsOf(n.uid)) > 0:
		// A dependent of ours waiting on its own dependents hints at a cycle:
		// stop blocking our waiting owners so the cycle can unwind.
		for _, d := range c.graph.dependentsOf(n.uid) {
			if d.deleting && slices.Contains(d.finalizers, metav1.FinalizerDeleteDependents) {
				unblocked := slices.Clone(n.owners)
				for i := range unblocked {
					if slices.Contains(waiting, unblocked[i].UID) {
						f := false
						unblocked[i].BlockOwnerDeletion = &f
					}
				}
				if err := c.patchOwners(ctx, n, unblocked); err != nil {
					return err
				}
				break
			}
		}
		return c.delete(ctx, res, n, metav1.DeletePropagationForeground)
	}
	policy := metav1.DeletePropagationBackground
	// (A dependent being deleted never reaches here; see process.)
	return c.delete(ctx, res, n, policy)
}

// processDeleting finishes the orphan and foregroundDeletion finalizers of an object
// being deleted.
func (c *Collector) processDeleting(ctx context.Context, n node) error {
	switch {
	case slices.Contains(n.finalizers, metav1.FinalizerOrphanDependents):
		for _, d := range c.graph.dependentsOf(n.uid) {
			keep := slices.DeleteFunc(slices.Clone(d.owners), func(r metav1.OwnerReference) bool { return r.UID == n.uid })
			if err := c.patchOwners(ctx, d, keep); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
		return c.removeFinalizer(ctx, n, metav1.FinalizerOrphanDependents)
	case slices.Contains(n.finalizers, metav1.FinalizerDeleteDependents):
		blocking := 0
		for _, d := range c.graph.dependentsOf(n.uid) {
			c.queue.Add(string(d.uid))
			for _, r := range d.owners {
				if r.UID == n.uid && r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion {
					blocking++
				}
			}
		}
		if blocking > 0 {
			return nil // the dependents' deletion events bring us back
		}
		return c.removeFinalizer(ctx, n, metav1.FinalizerDeleteDependents)
	}
	return nil
}

func (c *Collector) delete(ctx context.Context, res interface {
	Delete(context.Context, string, metav1.DeleteOptions, ...string) error
}, n node, policy metav1.DeletionPropagation) error {
	uid := n.uid
	err := res.Delete(ctx, n.name, metav1.DeleteOptions{PropagationPolicy: &policy, Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or replaced by a new object of the same name
	}
	return err
}

// patchOwners replaces the object's owner references, guarded by its UID.
func (c *Collector) patchOwners(ctx context.Context, n node, owners []metav1.OwnerReference) error {
	if owners == nil {
		owners = []metav1.OwnerReference{}
	}
	return c.mergePatch(ctx, n, map[string]any{"uid": n.uid, "ownerReferences": owners})
}

func (c *Collector) removeFinalizer(ctx context.Context, n node, finalizer string) error {
	left := slices.DeleteFunc(slices.Clone(n.finalizers), func(f string) bool { return f == finalizer })
	if left == nil {
		left = []string{}
	}
	return c.mergePatch(ctx, n, map[string]any{"uid": n.uid, "finalizers": left})
}

func (c *Collector) mergePatch(ctx context.Context, n node, meta map[string]any) error {
	body, err := json.Marshal(map[string]any{"metadata": meta})
	if err != nil {
		return err
	}
	_, err = c.client.Resource(n.gvr).Namespace(n.namespace).Patch(ctx, n.name, types.MergePatchType, body, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
