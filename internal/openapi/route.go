package openapi

import (
	"k8s.io/kube-openapi/pkg/common"
)

// The builders walk RouteContainers; these are plain values, so the spec is built
// from kapi's registrations without a web framework in between.
var (
	_ common.RouteContainer     = (*container)(nil)
	_ common.Route              = (*route)(nil)
	_ common.Parameter          = (*param)(nil)
	_ common.StatusCodeResponse = (*response)(nil)
)

// container is one root path: "/api", "/api/v1", "/apis/apps/v1", "/version".
// Each container becomes one OpenAPI v3 document, named by its root path.
type container struct {
	root   string
	routes []common.Route
}

func (c *container) RootPath() string                   { return c.root }
func (c *container) PathParameters() []common.Parameter { return nil }
func (c *container) Routes() []common.Route             { return c.routes }

// route is one operation. id is the final operation ID (group and version already
// folded in), so operationIDAndTags needs no parsing.
type route struct {
	method      string
	path        string
	id          string
	tags        []string
	description string
	params      []common.Parameter
	consumes    []string
	produces    []string
	// metadata holds the x-kubernetes-* operation extensions.
	metadata map[string]any
	// body is a sample of the request body type; nil when there is no body.
	body      any
	responses []common.StatusCodeResponse
}

func (r *route) Method() string                                   { return r.method }
func (r *route) Path() string                                     { return r.path }
func (r *route) OperationName() string                            { return r.id }
func (r *route) Parameters() []common.Parameter                   { return r.params }
func (r *route) Description() string                              { return r.description }
func (r *route) Consumes() []string                               { return r.consumes }
func (r *route) Produces() []string                               { return r.produces }
func (r *route) Metadata() map[string]any                         { return r.metadata }
func (r *route) RequestPayloadSample() any                        { return r.body }
func (r *route) ResponsePayloadSample() any                       { return nil }
func (r *route) StatusCodeResponses() []common.StatusCodeResponse { return r.responses }

// operationIDAndTags is the builders' hook; routes built here carry both.
func operationIDAndTags(r common.Route) (string, []string, error) {
	if rt, ok := r.(*route); ok {
		return rt.id, rt.tags, nil
	}
	return r.OperationName(), nil, nil
}

// param is a path, query or body parameter. dataType is a kube-openapi simple type
// name ("string", "boolean", "integer"); body parameters take their schema from the
// route's body sample instead.
type param struct {
	name        string
	description string
	required    bool
	kind        common.ParameterKind
	dataType    string
}

func (p *param) Name() string               { return p.name }
func (p *param) Description() string        { return p.description }
func (p *param) Required() bool             { return p.required }
func (p *param) Kind() common.ParameterKind { return p.kind }
func (p *param) DataType() string           { return p.dataType }

// AllowMultiple is false everywhere: upstream marks every parameter uniqueItems.
func (p *param) AllowMultiple() bool { return false }

// response is one status code of an operation; model is a sample of its body type.
type response struct {
	code    int
	message string
	model   any
}

func (r *response) Code() int       { return r.code }
func (r *response) Message() string { return r.message }
func (r *response) Model() any      { return r.model }
