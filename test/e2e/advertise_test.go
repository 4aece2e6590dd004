package e2e

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// TestKubernetesServiceEndpoints: bound to a loopback address without
// --advertise-address, kapi advertises the host's default-route address as
// kube-apiserver does, so the kubernetes Service has its Endpoints and
// EndpointSlice (upstream's e2e "should have Endpoints and EndpointSlices pointing
// to API Server"), while the admin kubeconfig keeps the loopback address it serves
// on (the framework checks that on every start).
func TestKubernetesServiceEndpoints(t *testing.T) {
	hostIP, err := utilnet.ResolveBindAddress(net.IPv4(127, 0, 0, 1))
	if err != nil {
		t.Skipf("this host has no default-route address to advertise: %v", err)
	}
	cs := shared.clientset(t)
	c := ctx(t, 30*time.Second)
	_, portText, err := net.SplitHostPort(shared.host[len("https://"):])
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portText)
	eventually(t, 20*time.Second, "the kubernetes Endpoints and EndpointSlice at the advertised address", func() error {
		ep, err := cs.CoreV1().Endpoints("default").Get(c, "kubernetes", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 1 || ep.Subsets[0].Addresses[0].IP != hostIP.String() ||
			len(ep.Subsets[0].Ports) != 1 || int(ep.Subsets[0].Ports[0].Port) != port {
			return fmt.Errorf("endpoints subsets %+v, want %s:%d", ep.Subsets, hostIP, port)
		}
		slice, err := cs.DiscoveryV1().EndpointSlices("default").Get(c, "kubernetes", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if slice.Labels[discoveryv1.LabelServiceName] != "kubernetes" || len(slice.Endpoints) != 1 ||
			len(slice.Endpoints[0].Addresses) != 1 || slice.Endpoints[0].Addresses[0] != hostIP.String() {
			return fmt.Errorf("endpoint slice %+v", slice)
		}
		return nil
	})
}
