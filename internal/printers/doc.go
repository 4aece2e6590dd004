// Package printers builds the server-side `kubectl get` Tables of the built-in
// resources: for each resource the column definitions and the row cells that
// kube-apiserver v1.37 returns for `Accept: application/json;as=Table`.
//
// kubectl prints what the server sends, so the columns, their priorities (1 means
// `-o wide` only), the cell types (int64 for integer columns) and the placeholder
// strings ("<none>", "<unknown>", "<unset>", "<pending>") follow upstream exactly.
// The server always fills the wide cells, as kube-apiserver does; the client hides
// the priority-1 columns.
//
// Printers read the versioned k8s.io/api types that kapi stores (events.k8s.io/v1
// events are stored and printed as core/v1 Events, as upstream does). Column
// descriptions come from the types' SwaggerDoc methods so that they track the API
// documentation. Resources without a printer of their own use Default.
package printers
