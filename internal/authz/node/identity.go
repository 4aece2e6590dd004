package node

import (
	"slices"
	"strings"

	"github.com/kapi-dev/kapi/internal/request"
)

const (
	// nodeUserPrefix starts the user name of every kubelet credential.
	nodeUserPrefix = "system:node:"
	// NodesGroup is the group every kubelet credential carries.
	NodesGroup = "system:nodes"
)

// Identity returns the node a user speaks for. isNode is false for everyone who is
// not both named system:node:<name> and in group system:nodes; name may be empty
// when the user name is just the prefix.
func Identity(u *request.User) (name string, isNode bool) {
	if u == nil {
		return "", false
	}
	name, ok := strings.CutPrefix(u.Name, nodeUserPrefix)
	if !ok || !slices.Contains(u.Groups, NodesGroup) {
		return "", false
	}
	return name, true
}
