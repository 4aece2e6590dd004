package namespace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// finalizerWait is how long to wait for content held by finalizers (garbage
// collection, a user's controller) before looking again, as upstream.
const finalizerWait = 15 * time.Second

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// deleter empties a terminating namespace and then removes the "kubernetes"
// finalizer, which lets the API server delete it.
type deleter struct {
	client    corev1client.CoreV1Interface
	metadata  metadata.Interface
	discovery discovery.DiscoveryInterface
	now       func() time.Time
}

// run is one pass over a namespace. It returns nil when the namespace is done with
// (gone, not terminating, or finalized), a *controlplane.RetryAfter while content is
// still going away, and another error to retry with backoff.
func (d *deleter) run(ctx context.Context, name string) error {
	nsClient := d.client.Namespaces()
	ns, err := nsClient.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.DeletionTimestamp == nil {
		return nil
	}
	if ns.Status.Phase != corev1.NamespaceTerminating {
		ns = ns.DeepCopy()
		ns.Status.Phase = corev1.NamespaceTerminating
		if ns, err = nsClient.UpdateStatus(ctx, ns, metav1.UpdateOptions{}); err != nil {
			return ignoreNotFound(err)
		}
	}
	if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return nil // another finalizer's owner finishes the job
	}
	estimate, err := d.deleteContent(ctx, ns)
	if err != nil {
		return err
	}
	if estimate > 0 {
		return &controlplane.RetryAfter{Delay: estimate,
			Reason: fmt.Sprintf("some content remains in the namespace, estimate %d seconds before it is removed", int64(estimate/time.Second))}
	}
	return d.finalize(ctx, ns)
}

// finalize removes the kubernetes finalizer through namespaces/finalize, retrying on
// conflicts against the same namespace (not a new one of the same name).
func (d *deleter) finalize(ctx context.Context, ns *corev1.Namespace) error {
	nsClient := d.client.Namespaces()
	for {
		next := ns.DeepCopy()
		next.Spec.Finalizers = slices.DeleteFunc(next.Spec.Finalizers, func(f corev1.FinalizerName) bool { return f == corev1.FinalizerKubernetes })
		_, err := nsClient.Finalize(ctx, next, metav1.UpdateOptions{})
		if !apierrors.IsConflict(err) {
			return ignoreNotFound(err)
		}
		latest, err := nsClient.Get(ctx, ns.Name, metav1.GetOptions{})
		if err != nil {
			return ignoreNotFound(err)
		}
		if latest.UID != ns.UID {
			return nil
		}
		ns = latest
	}
}

// deleteContent deletes every namespaced resource in the namespace, pods first, and
// records what it found in the namespace's conditions. It returns how long to wait
// for what remains (pods in their grace period, objects with finalizers).
func (d *deleter) deleteContent(ctx context.Context, ns *corev1.Namespace) (time.Duration, error) {
	result := passResult{remaining: map[schema.GroupVersionResource]int{}, finalizers: map[string]int{}}
	gvrs, discoveryErr := d.deletableResources()
	if discoveryErr != nil {
		result.discoveryErr = discoveryErr
	}
	var errs []error
	if discoveryErr != nil {
		errs = append(errs, discoveryErr)
	}
	var estimate time.Duration
	pass := func(gvr schema.GroupVersionResource) {
		wait, left, err := d.deleteResource(ctx, gvr, ns)
		if err != nil {
			errs = append(errs, err)
			result.deleteErrs = append(result.deleteErrs, err)
		}
		estimate = max(estimate, wait)
		if left.count > 0 {
			result.remaining[gvr] = left.count
			for f, n := range left.finalizers {
				result.finalizers[f] += n
			}
		}
	}
	if slices.Contains(gvrs, podsGVR) {
		// Pods go first so that their controllers' objects outlive them.
		pass(podsGVR)
		if result.remaining[podsGVR] > 0 {
			d.writeConditions(ctx, ns, &result)
			return estimate, errors.Join(errs...)
		}
	}
	for _, gvr := range gvrs {
		if gvr != podsGVR {
			pass(gvr)
		}
	}
	d.writeConditions(ctx, ns, &result)
	return estimate, errors.Join(errs...)
}

func (d *deleter) writeConditions(ctx context.Context, ns *corev1.Namespace, result *passResult) {
	next := ns.DeepCopy()
	if !result.apply(&next.Status, metav1.NewTime(d.now())) {
		return
	}
	// A failed condition update is not worth a retry of its own: the next pass
	// writes it again.
	_, _ = d.client.Namespaces().UpdateStatus(ctx, next, metav1.UpdateOptions{})
}

// deletableResources lists the preferred version of every namespaced resource that
// can be deleted and listed. A partial discovery failure still returns what was
// found, with the error.
func (d *deleter) deletableResources() ([]schema.GroupVersionResource, error) {
	lists, err := d.discovery.ServerPreferredNamespacedResources()
	var out []schema.GroupVersionResource
	for _, list := range lists {
		gv, perr := schema.ParseGroupVersion(list.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range list.APIResources {
			if !strings.Contains(r.Name, "/") && slices.Contains(r.Verbs, "delete") && slices.Contains(r.Verbs, "list") {
				out = append(out, gv.WithResource(r.Name))
			}
		}
	}
	if err != nil {
		var failed *discovery.ErrGroupDiscoveryFailed
		if errors.As(err, &failed) {
			//lint:ignore ST1005 upstream's condition message starts with a capital
			err = fmt.Errorf("Discovery failed for some groups, %d failing: %v", len(failed.Groups), err)
		}
	}
	return out, err
}

// leftovers are the objects of one resource still present after deletion.
type leftovers struct {
	count      int
	finalizers map[string]int
}

// deleteResource deletes one resource's objects in the namespace and lists what
// remains. Objects left with finalizers (or pods still terminating) are expected and
// come with a wait; objects left for no reason are an error.
func (d *deleter) deleteResource(ctx context.Context, gvr schema.GroupVersionResource, ns *corev1.Namespace) (time.Duration, leftovers, error) {
	var grace time.Duration
	if gvr == podsGVR {
		grace = d.podGrace(ctx, ns)
	}
	res := d.metadata.Resource(gvr).Namespace(ns.Name)
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}
	err := res.DeleteCollection(ctx, opts, metav1.ListOptions{})
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		err = d.deleteEach(ctx, res, opts)
	}
	if err != nil {
		return grace, leftovers{}, err
	}
	list, err := res.List(ctx, metav1.ListOptions{})
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		return grace, leftovers{}, nil
	}
	if err != nil {
		return grace, leftovers{}, err
	}
	if len(list.Items) == 0 {
		return 0, leftovers{}, nil
	}
	left := leftovers{count: len(list.Items), finalizers: map[string]int{}}
	for _, item := range list.Items {
		for _, f := range item.Finalizers {
			left.finalizers[f]++
		}
	}
	switch {
	case grace > 0:
		return grace, left, nil
	case len(left.finalizers) > 0:
		return finalizerWait, left, nil
	}
	return 0, left, fmt.Errorf("unexpected items still remain in namespace: %s for gvr: %v", ns.Name, gvr)
}

// deleteEach is the fallback for resources without deletecollection.
func (d *deleter) deleteEach(ctx context.Context, res metadata.ResourceInterface, opts metav1.DeleteOptions) error {
	list, err := res.List(ctx, metav1.ListOptions{})
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, item := range list.Items {
		err := res.Delete(ctx, item.Name, opts)
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err) {
			return err
		}
	}
	return nil
}

// podGrace is how much longer the namespace's running pods may take to terminate:
// the longest grace period, less the time since the namespace was deleted.
func (d *deleter) podGrace(ctx context.Context, ns *corev1.Namespace) time.Duration {
	pods, err := d.client.Pods(ns.Name).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0
	}
	var longest int64
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if g := p.Spec.TerminationGracePeriodSeconds; g != nil && *g > longest {
			longest = *g
		}
	}
	wait := time.Duration(longest)*time.Second - d.now().Sub(ns.DeletionTimestamp.Time)
	return max(wait, 0)
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
