package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerGroups installs the defaults of the API groups beyond core and apps, one
// file per group.
func registerGroups(s *runtime.Scheme) {
	for _, register := range []func(*runtime.Scheme){
		registerBatch, registerAutoscaling, registerPolicy, registerNetworking, registerDiscoveryGroup,
		registerNode, registerScheduling, registerRbac, registerStorageGroup, registerCertificates,
		registerAdmissionregistration, registerFlowcontrol, registerStoragemigration, registerResourceGroup,
	} {
		register(s)
	}
}
