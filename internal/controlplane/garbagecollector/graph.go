package garbagecollector

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// node is what the collector knows of one object: where it lives and who owns it.
type node struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
	uid       types.UID
	owners    []metav1.OwnerReference
	// deleting is true once the object has a deletionTimestamp.
	deleting   bool
	finalizers []string
}

// graph indexes every watched object by UID and every owner UID by its dependents.
// Informer handlers write it; workers read it.
type graph struct {
	mu sync.Mutex // guards nodes and dependents
	// nodes holds the objects the informers currently see.
	nodes map[types.UID]*node
	// dependents maps an owner UID (present or not) to the UIDs naming it.
	dependents map[types.UID]map[types.UID]bool
}

func newGraph() *graph {
	return &graph{nodes: map[types.UID]*node{}, dependents: map[types.UID]map[types.UID]bool{}}
}

// upsert records n and returns the owner UIDs it named before, for requeueing.
func (g *graph) upsert(n *node) (oldOwners []types.UID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.nodes[n.uid]; ok {
		for _, o := range old.owners {
			oldOwners = append(oldOwners, o.UID)
			g.unlink(o.UID, n.uid)
		}
	}
	g.nodes[n.uid] = n
	for _, o := range n.owners {
		if g.dependents[o.UID] == nil {
			g.dependents[o.UID] = map[types.UID]bool{}
		}
		g.dependents[o.UID][n.uid] = true
	}
	return oldOwners
}

// remove forgets the object and returns its dependents and owners for requeueing.
func (g *graph) remove(uid types.UID) (dependents, owners []types.UID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.nodes[uid]; ok {
		for _, o := range old.owners {
			owners = append(owners, o.UID)
			g.unlink(o.UID, uid)
		}
	}
	delete(g.nodes, uid)
	for d := range g.dependents[uid] {
		dependents = append(dependents, d)
	}
	return dependents, owners
}

func (g *graph) unlink(owner, dependent types.UID) {
	if deps := g.dependents[owner]; deps != nil {
		delete(deps, dependent)
		if len(deps) == 0 {
			delete(g.dependents, owner)
		}
	}
}

// get returns a copy of the object's node.
func (g *graph) get(uid types.UID) (node, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n, ok := g.nodes[uid]
	if !ok {
		return node{}, false
	}
	return *n, true
}

// dependentsOf returns copies of the nodes that name owner.
func (g *graph) dependentsOf(owner types.UID) []node {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []node
	for d := range g.dependents[owner] {
		if n, ok := g.nodes[d]; ok {
			out = append(out, *n)
		}
	}
	return out
}
