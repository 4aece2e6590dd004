// Package node is the Node authorizer (--authorization-mode=Node): it decides for
// kubelets, users "system:node:<name>" in group "system:nodes", as kube-apiserver's does.
// A node reads the secrets, configmaps, volume claims, volumes, resource claims and
// service accounts of the pods bound to it, its own Node, lease and CSINode, and the
// volume attachments, resource slices and pod certificate requests that name it;
// everything else it may do is the fixed rule set of the system:node ClusterRole. It
// allows or has no opinion, never denies, with upstream's reasons.
//
// Upstream keeps a graph of these relationships in memory. kapi asks the registry
// stores instead, at resourceVersion "0" so the watch caches answer: the one volume,
// claim, attachment, slice, request or pod a request names, and the references of the
// pods bound to the node. Those come from a small index of each bound pod's references
// by node, fed by a watch of the pods store (Run); until it is synced, the pods of the
// node are listed from the watch cache with a spec.nodeName selector, which is correct
// but scans every pod of the namespace.
package node
