package node

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// podIndex holds the references of the bound pods by node, fed by a watch of the pods
// store. A list of the pods on a node from the watch cache scans every pod in the
// namespace; the index answers from the node's own pods.
type podIndex struct {
	// mu guards byNode and byKey.
	mu sync.RWMutex
	// byNode is node → namespace/name → references.
	byNode map[string]map[string]*podRefs
	// byKey is namespace/name → references, to find a pod's entry when it changes.
	byKey map[string]*podRefs

	// synced is set once the first watch delivered every pod.
	synced atomic.Bool
}

func newPodIndex() *podIndex {
	return &podIndex{byNode: map[string]map[string]*podRefs{}, byKey: map[string]*podRefs{}}
}

// run follows the pods store until ctx ends, re-watching after a watch ends.
func (x *podIndex) run(ctx context.Context, pods Watcher) {
	for ctx.Err() == nil {
		if err := x.watchOnce(ctx, pods); err != nil && ctx.Err() == nil {
			slog.Warn("node authorizer: pod watch failed, retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// watchOnce receives the current pods, then their changes, until the watch ends. What
// the initial events do not name was deleted while no watch ran.
func (x *podIndex) watchOnce(ctx context.Context, pods Watcher) error {
	yes := true
	w, err := pods.Watch(ctx, "", &metav1.ListOptions{
		SendInitialEvents:    &yes,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		AllowWatchBookmarks:  true,
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	seen := map[string]bool{}
	initial := true
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Added, watch.Modified:
			if pod, ok := ev.Object.(*corev1.Pod); ok {
				x.put(pod)
				if initial {
					seen[pod.Namespace+"/"+pod.Name] = true
				}
			}
		case watch.Deleted:
			if pod, ok := ev.Object.(*corev1.Pod); ok {
				x.remove(pod.Namespace + "/" + pod.Name)
			}
		case watch.Bookmark:
			if m, ok := ev.Object.(metav1.Object); ok && initial && m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true" {
				initial = false
				x.pruneExcept(seen)
				seen = nil
				x.synced.Store(true)
			}
		case watch.Error:
			return nil
		}
	}
	return nil
}

// put records pod's references, replacing what it had.
func (x *podIndex) put(pod *corev1.Pod) {
	key := pod.Namespace + "/" + pod.Name
	refs := refsOf(pod)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(key)
	if refs == nil {
		return
	}
	pods := x.byNode[refs.node]
	if pods == nil {
		pods = map[string]*podRefs{}
		x.byNode[refs.node] = pods
	}
	pods[key] = refs
	x.byKey[key] = refs
}

func (x *podIndex) remove(key string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(key)
}

func (x *podIndex) removeLocked(key string) {
	old := x.byKey[key]
	if old == nil {
		return
	}
	delete(x.byKey, key)
	delete(x.byNode[old.node], key)
	if len(x.byNode[old.node]) == 0 {
		delete(x.byNode, old.node)
	}
}

// pruneExcept drops every pod keep does not name.
func (x *podIndex) pruneExcept(keep map[string]bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for key := range x.byKey {
		if !keep[key] {
			x.removeLocked(key)
		}
	}
}

// visit calls fn with the references of each pod on node in namespace ns (every
// namespace when ns is "") until fn returns true, and reports whether it did. fn runs
// under the read lock and must not block.
func (x *podIndex) visit(node, ns string, fn func(*podRefs) bool) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, refs := range x.byNode[node] {
		if (ns == "" || refs.namespace == ns) && fn(refs) {
			return true
		}
	}
	return false
}
