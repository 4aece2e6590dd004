package admission

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// pssViolation is one failed Pod Security Standards check: a reason and the detail
// shown in parentheses after it.
type pssViolation struct{ reason, detail string }

func (v pssViolation) String() string {
	if v.detail == "" {
		return v.reason
	}
	return v.reason + " (" + v.detail + ")"
}

// pssCheck evaluates one control of the standards on a pod spec.
type pssCheck func(meta map[string]string, spec *corev1.PodSpec) *pssViolation

// baselineChecks apply at baseline and restricted; restricted replaces some of them
// with stricter versions (see restrictedChecks).
var baselineChecks = []struct {
	id    string
	check pssCheck
}{
	{"capabilities_baseline", checkBaselineCapabilities},
	{"hostNamespaces", checkHostNamespaces},
	{"hostPathVolumes", checkHostPathVolumes},
	{"hostPorts", checkHostPorts},
	{"privileged", checkPrivileged},
	{"procMount", checkProcMount},
	{"seccompProfile_baseline", checkBaselineSeccomp},
	{"windowsHostProcess", checkHostProcess},
}

var restrictedChecks = []struct {
	id, overrides string
	check         pssCheck
}{
	{"allowPrivilegeEscalation", "", checkAllowPrivilegeEscalation},
	{"capabilities_restricted", "capabilities_baseline", checkRestrictedCapabilities},
	{"restrictedVolumes", "hostPathVolumes", checkRestrictedVolumes},
	{"runAsNonRoot", "", checkRunAsNonRoot},
	{"runAsUser", "", checkRunAsUser},
	{"seccompProfile_restricted", "seccompProfile_baseline", checkRestrictedSeccomp},
}

// evaluatePSS returns the violations of level ("baseline" or "restricted") in check
// order, each "reason (detail)".
func evaluatePSS(level string, meta map[string]string, spec *corev1.PodSpec) []string {
	var out []string
	for _, v := range violationsPSS(level, meta, spec) {
		out = append(out, v.String())
	}
	return out
}

// violationsPSS runs the checks of level in order.
func violationsPSS(level string, meta map[string]string, spec *corev1.PodSpec) []pssViolation {
	if level == "privileged" {
		return nil
	}
	overridden := map[string]bool{}
	if level == "restricted" {
		for _, c := range restrictedChecks {
			overridden[c.overrides] = true
		}
	}
	var out []pssViolation
	for _, c := range baselineChecks {
		if !overridden[c.id] {
			if v := c.check(meta, spec); v != nil {
				out = append(out, *v)
			}
		}
	}
	if level == "restricted" {
		for _, c := range restrictedChecks {
			if v := c.check(meta, spec); v != nil {
				out = append(out, *v)
			}
		}
	}
	return out
}

func visitContainers(spec *corev1.PodSpec, f func(c *corev1.Container)) {
	for i := range spec.InitContainers {
		f(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		f(&spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		f((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}

func pluralize(singular, plural string, n int) string {
	if n == 1 {
		return singular
	}
	return plural
}

func joinQuote(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func containersDetail(names []string, rest string) string {
	return fmt.Sprintf("%s %s %s", pluralize("container", "containers", len(names)), joinQuote(names), rest)
}

// baselineCapabilities may be added at baseline.
var baselineCapabilities = map[corev1.Capability]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true, "MKNOD": true,
	"NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

func checkBaselineCapabilities(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var bad []string
	caps := map[string]bool{}
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
			return
		}
		found := false
		for _, cap := range c.SecurityContext.Capabilities.Add {
			if !baselineCapabilities[cap] {
				found = true
				caps[string(cap)] = true
			}
		}
		if found {
			bad = append(bad, c.Name)
		}
	})
	if len(bad) == 0 {
		return nil
	}
	return &pssViolation{"non-default capabilities", containersDetail(bad, "must not include "+joinQuote(sortedKeys(caps))+" in securityContext.capabilities.add")}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkHostNamespaces(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var set []string
	if spec.HostNetwork {
		set = append(set, "hostNetwork=true")
	}
	if spec.HostPID {
		set = append(set, "hostPID=true")
	}
	if spec.HostIPC {
		set = append(set, "hostIPC=true")
	}
	if len(set) == 0 {
		return nil
	}
	return &pssViolation{"host namespaces", strings.Join(set, ", ")}
}

func checkHostPathVolumes(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var bad []string
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			bad = append(bad, v.Name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &pssViolation{"hostPath volumes", pluralize("volume", "volumes", len(bad)) + " " + joinQuote(bad)}
}

func checkHostPorts(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var bad, ports []string
	visitContainers(spec, func(c *corev1.Container) {
		found := false
		for _, p := range c.Ports {
			if p.HostPort != 0 {
				found = true
				ports = append(ports, fmt.Sprint(p.HostPort))
			}
		}
		if found {
			bad = append(bad, c.Name)
		}
	})
	if len(bad) == 0 {
		return nil
	}
	return &pssViolation{"hostPort", fmt.Sprintf("%s %s %s %s", pluralize("container", "containers", len(bad)), joinQuote(bad),
		pluralize("uses hostPort", "use hostPorts", len(ports)), strings.Join(ports, ", "))}
}

func checkPrivileged(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var bad []string
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged {
			bad = append(bad, c.Name)
		}
	})
	if len(bad) == 0 {
		return nil
	}
	return &pssViolation{"privileged", containersDetail(bad, "must not set securityContext.privileged=true")}
}

func checkProcMount(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	if spec.HostUsers != nil && !*spec.HostUsers {
		return nil // user namespaces make an unmasked /proc safe
	}
	var bad []string
	types := map[string]bool{}
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext != nil && c.SecurityContext.ProcMount != nil && *c.SecurityContext.ProcMount != corev1.DefaultProcMount {
			bad = append(bad, c.Name)
			types[string(*c.SecurityContext.ProcMount)] = true
		}
	})
	if len(bad) == 0 {
		return nil
	}
	return &pssViolation{"procMount", containersDetail(bad, "must not set securityContext.procMount to "+joinQuote(sortedKeys(types)))}
}

func checkBaselineSeccomp(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var setters []string
	if spec.SecurityContext != nil && spec.SecurityContext.SeccompProfile != nil && spec.SecurityContext.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
		setters = append(setters, "pod")
	}
	var bad []string
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil && c.SecurityContext.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
			bad = append(bad, c.Name)
		}
	})
	if len(bad) > 0 {
		setters = append(setters, pluralize("container", "containers", len(bad))+" "+joinQuote(bad))
	}
	if len(setters) == 0 {
		return nil
	}
	return &pssViolation{"seccompProfile", strings.Join(setters, " and ") + ` must not set securityContext.seccompProfile.type to "Unconfined"`}
}

func checkHostProcess(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	n := 0
	pod := spec.SecurityContext != nil && spec.SecurityContext.WindowsOptions != nil &&
		spec.SecurityContext.WindowsOptions.HostProcess != nil && *spec.SecurityContext.WindowsOptions.HostProcess
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext != nil && c.SecurityContext.WindowsOptions != nil && c.SecurityContext.WindowsOptions.HostProcess != nil && *c.SecurityContext.WindowsOptions.HostProcess {
			n++
		}
	})
	if !pod && n == 0 {
		return nil
	}
	return &pssViolation{"hostProcess", "pod or containers must not set securityContext.windowsOptions.hostProcess=true"}
}

func checkAllowPrivilegeEscalation(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var bad []string
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
			bad = append(bad, c.Name)
		}
	})
	if len(bad) == 0 {
		return nil
	}
	return &pssViolation{"allowPrivilegeEscalation != false", containersDetail(bad, "must set securityContext.allowPrivilegeEscalation=false")}
}

func checkRestrictedCapabilities(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var missingDrop, adding []string
	caps := map[string]bool{}
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext == nil || c.SecurityContext.Capabilities == nil {
			missingDrop = append(missingDrop, c.Name)
			return
		}
		dropped := false
		for _, d := range c.SecurityContext.Capabilities.Drop {
			if d == "ALL" {
				dropped = true
				break
			}
		}
		if !dropped {
			missingDrop = append(missingDrop, c.Name)
		}
		found := false
		for _, a := range c.SecurityContext.Capabilities.Add {
			if a != "NET_BIND_SERVICE" {
				found = true
				caps[string(a)] = true
			}
		}
		if found {
			adding = append(adding, c.Name)
		}
	})
	var details []string
	if len(missingDrop) > 0 {
		details = append(details, containersDetail(missingDrop, `must set securityContext.capabilities.drop=["ALL"]`))
	}
	if len(adding) > 0 {
		details = append(details, containersDetail(adding, "must not include "+joinQuote(sortedKeys(caps))+" in securityContext.capabilities.add"))
	}
	if len(details) == 0 {
		return nil
	}
	return &pssViolation{"unrestricted capabilities", strings.Join(details, "; ")}
}

// volumeType names a volume's source for the restricted volume check.
func volumeType(v corev1.Volume) string {
	switch {
	case v.ConfigMap != nil, v.CSI != nil, v.DownwardAPI != nil, v.EmptyDir != nil, v.Ephemeral != nil,
		v.PersistentVolumeClaim != nil, v.Projected != nil, v.Secret != nil, v.Image != nil:
		return ""
	case v.HostPath != nil:
		return "hostPath"
	case v.GCEPersistentDisk != nil:
		return "gcePersistentDisk"
	case v.AWSElasticBlockStore != nil:
		return "awsElasticBlockStore"
	case v.GitRepo != nil:
		return "gitRepo"
	case v.NFS != nil:
		return "nfs"
	case v.ISCSI != nil:
		return "iscsi"
	case v.Glusterfs != nil:
		return "glusterfs"
	case v.RBD != nil:
		return "rbd"
	case v.FlexVolume != nil:
		return "flexVolume"
	case v.Cinder != nil:
		return "cinder"
	case v.CephFS != nil:
		return "cephfs"
	case v.Flocker != nil:
		return "flocker"
	case v.FC != nil:
		return "fc"
	case v.AzureFile != nil:
		return "azureFile"
	case v.VsphereVolume != nil:
		return "vsphereVolume"
	case v.Quobyte != nil:
		return "quobyte"
	case v.AzureDisk != nil:
		return "azureDisk"
	case v.PhotonPersistentDisk != nil:
		return "photonPersistentDisk"
	case v.PortworxVolume != nil:
		return "portworxVolume"
	case v.ScaleIO != nil:
		return "scaleIO"
	case v.StorageOS != nil:
		return "storageos"
	}
	return "unknown"
}

func checkRestrictedVolumes(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	var bad []string
	types := map[string]bool{}
	for _, v := range spec.Volumes {
		if t := volumeType(v); t != "" {
			bad = append(bad, v.Name)
			types[t] = true
		}
	}
	if len(bad) == 0 {
		return nil
	}
	kinds := sortedKeys(types)
	return &pssViolation{"restricted volume types", fmt.Sprintf("%s %s %s %s", pluralize("volume", "volumes", len(bad)), joinQuote(bad),
		pluralize("uses restricted volume type", "uses restricted volume types", len(kinds)), joinQuote(kinds))}
}

func checkRunAsNonRoot(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	if spec.HostUsers != nil && !*spec.HostUsers {
		return nil
	}
	var setters []string
	podNonRoot := false
	if spec.SecurityContext != nil && spec.SecurityContext.RunAsNonRoot != nil {
		if *spec.SecurityContext.RunAsNonRoot {
			podNonRoot = true
		} else {
			setters = append(setters, "pod")
		}
	}
	var explicit, implicit []string
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil {
			if !*c.SecurityContext.RunAsNonRoot {
				explicit = append(explicit, c.Name)
			}
		} else if !podNonRoot {
			implicit = append(implicit, c.Name)
		}
	})
	if len(explicit) > 0 {
		setters = append(setters, pluralize("container", "containers", len(explicit))+" "+joinQuote(explicit))
	}
	if len(setters) > 0 {
		return &pssViolation{"runAsNonRoot != true", strings.Join(setters, " and ") + " must not set securityContext.runAsNonRoot=false"}
	}
	if len(implicit) > 0 {
		return &pssViolation{"runAsNonRoot != true", "pod or " + containersDetail(implicit, "must set securityContext.runAsNonRoot=true")}
	}
	return nil
}

func checkRunAsUser(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	if spec.HostUsers != nil && !*spec.HostUsers {
		return nil
	}
	var setters []string
	if spec.SecurityContext != nil && spec.SecurityContext.RunAsUser != nil && *spec.SecurityContext.RunAsUser == 0 {
		setters = append(setters, "pod")
	}
	var bad []string
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil && *c.SecurityContext.RunAsUser == 0 {
			bad = append(bad, c.Name)
		}
	})
	if len(bad) > 0 {
		setters = append(setters, pluralize("container", "containers", len(bad))+" "+joinQuote(bad))
	}
	if len(setters) == 0 {
		return nil
	}
	return &pssViolation{"runAsUser=0", strings.Join(setters, " and ") + " must not set runAsUser=0"}
}

func checkRestrictedSeccomp(_ map[string]string, spec *corev1.PodSpec) *pssViolation {
	valid := func(t corev1.SeccompProfileType) bool {
		return t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost
	}
	var setters []string
	values := map[string]bool{}
	podSet := false
	if spec.SecurityContext != nil && spec.SecurityContext.SeccompProfile != nil {
		if valid(spec.SecurityContext.SeccompProfile.Type) {
			podSet = true
		} else {
			setters = append(setters, "pod")
			values[string(spec.SecurityContext.SeccompProfile.Type)] = true
		}
	}
	var explicit, implicit []string
	visitContainers(spec, func(c *corev1.Container) {
		if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil {
			if !valid(c.SecurityContext.SeccompProfile.Type) {
				explicit = append(explicit, c.Name)
				values[string(c.SecurityContext.SeccompProfile.Type)] = true
			}
		} else if !podSet {
			implicit = append(implicit, c.Name)
		}
	})
	if len(explicit) > 0 {
		setters = append(setters, pluralize("container", "containers", len(explicit))+" "+joinQuote(explicit))
	}
	if len(setters) > 0 {
		return &pssViolation{"seccompProfile", strings.Join(setters, " and ") + " must not set securityContext.seccompProfile.type to " + joinQuote(sortedKeys(values))}
	}
	if len(implicit) > 0 {
		return &pssViolation{"seccompProfile", "pod or " + containersDetail(implicit, `must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`)}
	}
	return nil
}
