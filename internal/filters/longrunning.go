package filters

import (
	"strings"

	"github.com/kapi-dev/kapi/internal/request"
)

// timeoutExemptSubresources are the subresources kube-apiserver registers as
// long-running: streams whose length the client, not the server, decides.
var timeoutExemptSubresources = map[string]bool{
	"attach": true, "exec": true, "proxy": true, "log": true, "portforward": true,
}

// IsLongRunning reports whether a request may outlive --request-timeout, with the
// classification kube-apiserver configures: the watch and proxy verbs (a list with
// ?watch=true parses as the watch verb), the streaming subresources of resources,
// and the profiling paths.
func IsLongRunning(info *request.Info) bool {
	if info == nil {
		return false
	}
	if info.Verb == "watch" || info.Verb == "proxy" {
		return true
	}
	if info.IsResourceRequest {
		return timeoutExemptSubresources[info.Subresource]
	}
	return strings.HasPrefix(info.Path, "/debug/pprof/")
}
