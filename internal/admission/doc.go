// Package admission holds kapi's admission plugins and the chain that runs them on
// every write. For now: NamespaceLifecycle.
package admission
