// Package flowcontrolbootstrap is kube-apiserver's API Priority and Fairness
// bootstrap configuration: the mandatory FlowSchemas and PriorityLevelConfigurations
// (exempt, catch-all) and the suggested ones, computed in code as upstream v1.37
// serves them (defaults applied), and the rules that keep them in storage.
//
// Reconcile creates what is missing and restores specs at start: mandatory objects
// always, suggested ones only while annotated apf.kubernetes.io/autoupdate-spec=true
// (or, unannotated, still at generation 1); objects annotated true that upstream no
// longer suggests are deleted. Run repeats that every five minutes.
package flowcontrolbootstrap
