package server

// AdmissionOptions are kube-apiserver's admission flags.
type AdmissionOptions struct {
	// EnableAdmissionPlugins are turned on beside the default set
	// (--enable-admission-plugins).
	EnableAdmissionPlugins []string
	// DisableAdmissionPlugins are turned off, default or not
	// (--disable-admission-plugins).
	DisableAdmissionPlugins []string
	// AdmissionControlConfigFile is an AdmissionConfiguration file with per-plugin
	// configuration (--admission-control-config-file).
	AdmissionControlConfigFile string
}
