package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// maxResponseBytes bounds a webhook's answer (an AdmissionReview may carry a patch
// of a whole object, itself bounded by the 3 MiB request limit).
const maxResponseBytes = 3*1024*1024 + 64*1024

// newUID returns a random RFC 4122 version 4 UID for one review.
func newUID() types.UID {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

// userInfo is the request's user as a review carries it.
func userInfo(u *request.User) authenticationv1.UserInfo {
	if u == nil {
		return authenticationv1.UserInfo{}
	}
	out := authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
	if len(u.Extra) > 0 {
		out.Extra = map[string]authenticationv1.ExtraValue{}
		for k, v := range u.Extra {
			out.Extra[k] = v
		}
	}
	return out
}

// options is the request's options object (request.options): the one the handler
// passed along, else one made from the operation and dry-run flag for callers that
// pass none. CONNECT has none; its options are the object.
func options(a *endpoints.Attributes) runtime.Object {
	if a.Options != nil {
		return a.Options
	}
	var dryRun []string
	if a.DryRun {
		dryRun = []string{metav1.DryRunAll}
	}
	tm := metav1.TypeMeta{APIVersion: "meta.k8s.io/v1"}
	switch a.Operation {
	case "CREATE":
		tm.Kind = "CreateOptions"
		return &metav1.CreateOptions{TypeMeta: tm, DryRun: dryRun}
	case "UPDATE":
		tm.Kind = "UpdateOptions"
		return &metav1.UpdateOptions{TypeMeta: tm, DryRun: dryRun}
	case "DELETE":
		tm.Kind = "DeleteOptions"
		return &metav1.DeleteOptions{TypeMeta: tm, DryRun: dryRun}
	}
	return nil
}

// reviewVersion picks the first AdmissionReview version the webhook accepts that
// kapi speaks.
func reviewVersion(versions []string) (string, bool) {
	for _, v := range versions {
		if v == "v1" || v == "v1beta1" {
			return v, true
		}
	}
	return "", false
}

// post sends the review to the webhook and returns its response, checked as
// upstream checks it. Every failure is a *callError.
func (p *plugin) post(ctx context.Context, h *hook, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, error) {
	fail := func(format string, args ...any) error {
		return &callError{hook: h.name, reason: fmt.Errorf(format, args...)}
	}
	version, ok := reviewVersion(h.reviewVersions)
	if !ok {
		return nil, fail("webhook does not accept known AdmissionReview versions %v", h.reviewVersions)
	}
	body, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/" + version, Kind: "AdmissionReview"},
		Request:  req,
	})
	if err != nil {
		return nil, fail("could not create admission objects: %w", err)
	}
	u, serverName, err := p.resolver.resolve(ctx, h.clientConfig)
	if err != nil {
		return nil, fail("could not get REST client: %w", err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "443")
	}
	if h.clientConfig.Service != nil {
		port := int32(443)
		if h.clientConfig.Service.Port != nil {
			port = *h.clientConfig.Service.Port
		}
		target = net.JoinHostPort(serverName, strconv.Itoa(int(port)))
	}
	user, auth := p.cfg.Credentials.forTarget(target)
	client, err := p.clients.get(h.clientConfig.CABundle, serverName, user, auth)
	if err != nil {
		return nil, fail("could not get REST client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	q := u.Query()
	q.Set("timeout", strconv.Itoa(int(h.timeout.Seconds()))+"s")
	u.RawQuery = q.Encode()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fail("could not get REST client: %w", err)
	}
	if err := authorize(hreq, auth); err != nil {
		return nil, fail("could not get REST client: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, fail("failed to call webhook: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fail("failed to call webhook: %w", err)
	}
	if len(raw) > maxResponseBytes {
		return nil, fail("failed to call webhook: response larger than %d bytes", maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fail("failed to call webhook: the server responded with status %d", resp.StatusCode)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(raw, &review); err != nil {
		return nil, fail("received invalid webhook response: %w", err)
	}
	if err := checkResponse(&review, version, req.UID); err != nil {
		return nil, fail("received invalid webhook response: %w", err)
	}
	return review.Response, nil
}

// checkResponse applies upstream's checks of an AdmissionReview answer.
func checkResponse(r *admissionv1.AdmissionReview, version string, uid types.UID) error {
	want := "admission.k8s.io/" + version
	if r.APIVersion != want {
		return fmt.Errorf("expected webhook response of admission.k8s.io/%s, Kind=AdmissionReview, got %s, Kind=%s", version, r.APIVersion, r.Kind)
	}
	if r.Kind != "AdmissionReview" {
		return fmt.Errorf("expected webhook response of admission.k8s.io/%s, Kind=AdmissionReview, got %s, Kind=%s", version, r.APIVersion, r.Kind)
	}
	if r.Response == nil {
		return errors.New("webhook response was absent")
	}
	if r.Response.UID != uid {
		return fmt.Errorf("expected response.uid=%q, got %q", uid, r.Response.UID)
	}
	if version == "v1" && len(r.Response.Patch) > 0 && r.Response.PatchType == nil {
		return errors.New("webhook returned response.patch but not response.patchType")
	}
	if r.Response.PatchType != nil && !slices.Contains([]admissionv1.PatchType{admissionv1.PatchTypeJSONPatch}, *r.Response.PatchType) {
		return fmt.Errorf("webhook returned invalid response.patchType of %q", *r.Response.PatchType)
	}
	return nil
}
