package main

import (
	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

// addAggregationFlags registers kube-apiserver's flags for proxying to extension
// API servers.
func addAggregationFlags(f *pflag.FlagSet, o *server.AggregationOptions) {
	f.StringVar(&o.ProxyClientCertFile, "proxy-client-cert-file", "", "client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request; its CA must be in --requestheader-client-ca-file")
	f.StringVar(&o.ProxyClientKeyFile, "proxy-client-key-file", "", "private key for the client certificate used to prove the identity of the aggregator or kube-apiserver when it must call out during a request")
	f.BoolVar(&o.EnableAggregatorRouting, "enable-aggregator-routing", false, "turns on aggregator routing requests to endpoints IP rather than cluster IP")
}
