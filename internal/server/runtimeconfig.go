package server

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

// checkRuntimeConfig reads --runtime-config against the group versions kapi
// serves. kapi serves one fixed set, the group versions kube-apiserver enables by
// default: an entry that turns on what it serves changes nothing, one that turns
// on what it does not serve (alpha and off-by-default versions, which
// `api/all=true` and `api/alpha=true` also ask for) is reported and left, and one
// that would turn off a served version is refused, as kapi cannot.
func checkRuntimeConfig(entries map[string]string, resources []*registry.Resource) error {
	served := map[schema.GroupVersion]bool{}
	for _, r := range resources {
		served[r.GroupVersion] = true
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ignored []string
	for _, key := range keys {
		on := true
		if v := entries[key]; v != "" {
			var err error
			if on, err = strconv.ParseBool(v); err != nil {
				return fmt.Errorf("invalid value of %s: %s, err: %v", key, v, err)
			}
		}
		affected, known, err := runtimeConfigVersions(key, served)
		if err != nil {
			return err
		}
		if !on && len(affected) > 0 {
			return fmt.Errorf("--runtime-config %s=false: kapi serves %s and cannot turn it off", key, strings.Join(affected, ", "))
		}
		// api/all and api/alpha also ask for versions kapi does not serve.
		if on && (!known || key == "api/all" || key == "api/alpha") {
			ignored = append(ignored, key)
		}
	}
	if len(ignored) > 0 {
		slog.Warn("--runtime-config: kapi serves kube-apiserver's default API versions only; entries asking for others are ignored", "ignored", ignored)
	}
	return nil
}

// runtimeConfigVersions are the served group versions that key names, and whether
// key names something kapi serves at all. Keys are "api/all", "api/ga",
// "api/beta", "api/alpha", "api/legacy", "v1" or "api/v1" (the core group),
// "group/version" or "group/version/resource".
func runtimeConfigVersions(key string, served map[schema.GroupVersion]bool) ([]string, bool, error) {
	var match func(gv schema.GroupVersion) bool
	switch key {
	case "api/all":
		match = func(schema.GroupVersion) bool { return true }
	case "api/ga":
		match = func(gv schema.GroupVersion) bool { return stability(gv.Version) == "ga" }
	case "api/beta":
		match = func(gv schema.GroupVersion) bool { return stability(gv.Version) == "beta" }
	case "api/alpha":
		match = func(gv schema.GroupVersion) bool { return stability(gv.Version) == "alpha" }
	case "api/legacy", "v1", "api/v1":
		match = func(gv schema.GroupVersion) bool { return gv == schema.GroupVersion{Version: "v1"} }
	default:
		parts := strings.Split(key, "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, false, fmt.Errorf("invalid key %s: want api/all, api/ga, api/beta, api/alpha, group/version or group/version/resource", key)
		}
		gv := schema.GroupVersion{Group: parts[0], Version: parts[1]}
		if gv.Group == "api" {
			gv.Group = ""
		}
		match = func(s schema.GroupVersion) bool { return s == gv }
	}
	var out []string
	for gv := range served {
		if match(gv) {
			out = append(out, gv.String())
		}
	}
	slices.Sort(out)
	return out, len(out) > 0, nil
}

// stability is "alpha", "beta" or "ga" for a Kubernetes version string.
func stability(version string) string {
	switch {
	case strings.Contains(version, "alpha"):
		return "alpha"
	case strings.Contains(version, "beta"):
		return "beta"
	}
	return "ga"
}
