package admission

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	psapi "k8s.io/pod-security-admission/api"
)

// FuzzParseConfigs feeds arbitrary bytes to the configuration parsers: they must
// fail cleanly, never panic.
func FuzzParseConfigs(f *testing.F) {
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: ResourceQuota\n  configuration: {}\n"))
	f.Add([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: ResourceQuotaConfiguration\nlimitedResources:\n- resource: pods\n  matchContains: [cpu]\n"))
	f.Add([]byte("apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: restricted}\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseConfig(data)
		_, _ = parseQuotaConfig(data)
		_, _ = parsePodSecurityConfig(data)
	})
}

// FuzzPodChecks runs the Pod Security checks and quota usage over pods decoded
// from arbitrary JSON: no input may panic them.
func FuzzPodChecks(f *testing.F) {
	f.Add([]byte(`{"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}],"hostNetwork":true}}`))
	f.Add([]byte(`{"spec":{"initContainers":[{"name":"i","restartPolicy":"Always","resources":{"requests":{"cpu":"1"}}}],"volumes":[{"name":"v","hostPath":{"path":"/"}}]}}`))
	checks, err := newPodSecurityChecks()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pod := &corev1.Pod{}
		if err := pod.Unmarshal(data); err != nil {
			if jerr := jsonUnmarshal(data, pod); jerr != nil {
				return
			}
		}
		for _, level := range []psapi.Level{psapi.LevelBaseline, psapi.LevelRestricted} {
			for _, version := range []psapi.Version{psapi.MajorMinorVersion(1, 22), psapi.LatestVersion()} {
				_ = checks.evaluate(psapi.LevelVersion{Level: level, Version: version}, &pod.ObjectMeta, &pod.Spec)
			}
		}
		_ = podUsage(pod, pod.CreationTimestamp.Time)
		_ = podConstraints([]string{"cpu", "limits.memory"}, pod)
		for _, s := range []corev1.ResourceQuotaScope{"Terminating", "BestEffort", "PriorityClass", "CrossNamespacePodAffinity"} {
			_, _ = podMatchesScope(corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpIn, Values: []string{"x"}}, pod)
		}
	})
}

func jsonUnmarshal(data []byte, into any) error { return json.Unmarshal(data, into) }
