// Package proxy reaches what the connect subresources serve: the kubelet of a node
// (pods/log, exec, attach, portforward, nodes/proxy), a pod's IP and a service's
// endpoints (pods/proxy, services/proxy). It holds the kubelet client, the
// upgrade-aware reverse proxy and the parsing of proxy names ("https:name:port").
package proxy
