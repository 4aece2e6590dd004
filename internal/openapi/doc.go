// Package openapi serves kapi's OpenAPI documents: /openapi/v2 (JSON or protobuf)
// and /openapi/v3 with one document per root path ("api/v1", "apis/apps/v1",
// "apis/apps", "api", "apis", "version"), shaped as kube-apiserver v1.37 serves them
// so that kubectl explain, client-side validation and generated clients work.
//
// Paths, operation IDs, parameters, responses and the x-kubernetes-action and
// x-kubernetes-group-version-kind extensions are derived from the served
// registry.Resources; the schemas come from the definitions generated from
// k8s.io/api and apimachinery into the generated package (see generate.sh there),
// and kube-openapi's builder and builder3 assemble the documents from plain route
// values (route.go), without a web framework. Query parameters are read from the
// meta/v1 option types by reflection, so they follow apimachinery upgrades.
//
// Documents are built on first request and cached with a content-hash ETag; Update
// swaps the resource set (for CRDs) and invalidates them. As upstream, v2 drops
// schema defaults and v3 keeps them. Definitions exposes every registered kind's
// schema for server-side apply.
//
// SetCustomResourceDefinitions publishes CRDs as upstream's CRD OpenAPI controllers
// do: every served version's paths (no watch paths, JSON and YAML only) and its
// kind and list definitions (built by internal/apiextensions/crdopenapi) join
// /openapi/v2, and each group version served only by CRDs gets its own v3 document
// titled "Kubernetes CRD Swagger". Only the documents of changed group versions are
// rebuilt, lazily; a CRD that serves a resource also passed to Update describes it,
// and a CRD whose definition name would replace a built-in one is left out.
//
// Every subresource is described from its registration (subresources.go): connect
// operations per HTTP method with their options' query parameters, pods/log as a
// read with options, creating subresources with their own kind, updating ones with
// their parent's. In a built-in group version's v3 document, DeleteOptions and
// WatchEvent list only that group version and core v1, as upstream's since v1.37.
//
// Differences from kube-apiserver: CBOR media types are not advertised because kapi
// does not serve CBOR; an unknown /openapi/v3/<name> is a 404 rather than an empty
// 200; /openapi/v2 is not gzipped here (a server-wide compression filter does that).
package openapi
