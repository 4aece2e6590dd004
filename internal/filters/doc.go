// Package filters holds the HTTP filters of the request path, one WithX per file, in
// the order internal/server chains them: panic recovery, request info, audit ID,
// audit, access log, cache control, request deadline and timeout, authentication,
// impersonation, (flow control, in internal/flowcontrol), authorization, metrics. Filters write errors through an ErrorWriter so that
// every failure is a metav1.Status.
package filters

import "net/http"

// ErrorWriter writes err to the client as a metav1.Status.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)
