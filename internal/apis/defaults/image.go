package defaults

import (
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The grammar of a container image reference (the distribution "reference"
// grammar that kube-apiserver parses images with). Only well-formed references
// with the "latest" tag, or with neither tag nor digest, pull Always; anything
// the parser rejects pulls IfNotPresent, so the grammar has to be exact.
var (
	referencePattern = regexp.MustCompile(`^(` + namePattern + `)(?::(` + tagPattern + `))?(?:@(` + digestPattern + `))?$`)
	hexIdentifier    = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

const (
	pathComponent   = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	domainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	domainPattern   = `(?:` + domainComponent + `(?:\.` + domainComponent + `)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`
	namePattern     = `(?:` + domainPattern + `/)?` + pathComponent + `(?:/` + pathComponent + `)*`
	tagPattern      = `[\w][\w.-]{0,127}`
	digestPattern   = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`

	maxNameLength  = 255
	defaultDomain  = "docker.io"
	legacyDomain   = "index.docker.io"
	officialPrefix = "library/"
)

// digestHexLengths lists the digest algorithms a reference may name and the
// length of their lowercase hex encoding; any other algorithm is a parse error.
var digestHexLengths = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// pullPolicyFor returns the pull policy kube-apiserver defaults for image:
// Always when it would pull a moving "latest" tag, IfNotPresent otherwise
// (including when the reference does not parse; validation rejects it later).
func pullPolicyFor(image string) corev1.PullPolicy {
	if tag, ok := imageTag(image); ok && tag == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

// imageTag returns the tag of a normalized image reference, "latest" when the
// reference has neither tag nor digest, and "" when it has only a digest. ok is
// false when the reference does not parse.
func imageTag(image string) (tag string, ok bool) {
	if hexIdentifier.MatchString(image) {
		return "", false
	}
	domain, rest := splitDomain(image)
	repo, _, _ := strings.Cut(rest, ":")
	if strings.ToLower(repo) != repo {
		return "", false
	}
	m := referencePattern.FindStringSubmatch(domain + "/" + rest)
	if m == nil || len(m[1]) > maxNameLength {
		return "", false
	}
	tag, digest := m[2], m[3]
	if digest != "" && !validDigest(digest) {
		return "", false
	}
	if tag == "" && digest == "" {
		return "latest", true
	}
	return tag, true
}

// splitDomain separates the registry from the repository the way the docker
// normalizer does: the first path element is a registry only if it looks like a
// host (has a dot or port, is localhost, or has upper case); otherwise the image
// is on Docker Hub, where single-name images live under library/.
func splitDomain(name string) (domain, rest string) {
	first, after, found := strings.Cut(name, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first) {
		domain, rest = defaultDomain, name
	} else {
		domain, rest = first, after
	}
	if domain == legacyDomain {
		domain = defaultDomain
	}
	if domain == defaultDomain && !strings.Contains(rest, "/") {
		rest = officialPrefix + rest
	}
	return domain, rest
}

// validDigest reports whether d names a supported algorithm with an encoding of
// exactly the right length in lowercase hex.
func validDigest(d string) bool {
	alg, hex, _ := strings.Cut(d, ":")
	want, known := digestHexLengths[alg]
	if !known || len(hex) != want {
		return false
	}
	return strings.Trim(hex, "0123456789abcdef") == ""
}
