// Package defaults fills in the fields that kube-apiserver v1.37 defaults on the
// versioned k8s.io/api objects kapi serves, so that an object read back from kapi
// looks exactly like one read back from kube-apiserver.
//
// Register installs one defaulting function per top-level type (and per list type
// whose items are defaulted, as upstream does) into a runtime.Scheme; the decoding
// path then calls scheme.Default(obj). Each function applies upstream's hand-written
// SetDefaults_* rules for the object and then walks into every nested type that has
// its own rules (pod specs, containers, probes, volumes, resource lists), the way
// upstream's generated defaulters do.
//
// Feature gates are taken at their v1.37 defaults: ImageVolume (GA) defaults an
// image volume's pull policy; MaxUnavailableStatefulSet (beta, on) defaults a
// StatefulSet's rollingUpdate.maxUnavailable to 1; PodLevelResourcesFixDefaulting
// (beta, on) moves pod-level resource defaulting out of defaulting and into the pod
// strategy's PrepareForCreate, so it is not done here; H2CContainerProbe and
// PodLogsQuerySplitStreams (alpha, off) default nothing.
//
// Some fields users see on created objects are not defaults and are not set here:
// a Service's ipFamilies/ipFamilyPolicy/clusterIP(s) and nodePorts come from the
// service registry's allocators; a Pod's priority, preemptionPolicy and default
// tolerations from admission plugins; status.phase and qosClass from the pod
// strategy. ServiceAccount, ControllerRevision, Event (core and events.k8s.io) and
// coordination.k8s.io Lease have no defaults upstream, so nothing is registered
// for them.
//
// Pods and pod templates differ on purpose, as upstream: only a Pod gets requests
// copied from limits, enableServiceLinks, host ports for hostNetwork and the
// negative grace period clamp; a template (in PodTemplate, ReplicationController
// and the apps/v1 workloads) gets only the PodSpec defaults, so that defaulting a
// template never changes its hash and rolls out every workload on upgrade.
package defaults
