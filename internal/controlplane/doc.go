// Package controlplane runs the built-in controllers a lone API server lacks and a
// kube-controller-manager would otherwise run (serviceaccount, root CA publisher,
// ...). Each controller is a client of kapi's own API through client-go, with its own
// system: identity, so every write goes through authentication, authorization and
// admission like any other client's. Subpackages hold one controller each; this
// package holds what they share: the controller names and the --controllers
// selection, and the work-queue loop.
package controlplane
