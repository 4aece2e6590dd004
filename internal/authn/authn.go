package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

// Authenticator identifies the user of a request. ok is false when the request carries
// no credential of this kind; err is set when it carries one that is invalid.
type Authenticator interface {
	AuthenticateRequest(r *http.Request) (u *request.User, ok bool, err error)
}

// CredentialIDKey is the user extra that identifies the credential used, as upstream.
const CredentialIDKey = "authentication.kubernetes.io/credential-id"

// ErrInvalidCredentials is returned for a credential that does not authenticate.
var ErrInvalidCredentials = errors.New("invalid credentials")

// Union tries each authenticator in order; the first that authenticates wins. When
// none does and one reported an error, the request is unauthenticated.
type Union []Authenticator

// AuthenticateRequest implements Authenticator.
func (u Union) AuthenticateRequest(r *http.Request) (*request.User, bool, error) {
	var firstErr error
	for _, a := range u {
		user, ok, err := a.AuthenticateRequest(r)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if ok {
			return withAuthenticatedGroup(user), true, nil
		}
	}
	return nil, false, firstErr
}

// withAuthenticatedGroup adds system:authenticated to an authenticated user unless it
// already is in system:authenticated or system:unauthenticated, as upstream does.
func withAuthenticatedGroup(u *request.User) *request.User {
	if slices.Contains(u.Groups, request.AllAuthenticated) || slices.Contains(u.Groups, request.AllUnauthenticated) {
		return u
	}
	out := *u
	out.Groups = append(slices.Clone(u.Groups), request.AllAuthenticated)
	return &out
}

// X509 authenticates client certificates signed by a CA in Roots: CN is the user
// name, O the groups.
type X509 struct {
	Roots func() *x509.CertPool
	// Remaining, when set, is told how long each verified client certificate has
	// left (apiserver_client_certificate_expiration_seconds).
	Remaining func(time.Duration)
}

// AuthenticateRequest implements Authenticator.
func (a X509) AuthenticateRequest(r *http.Request) (*request.User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || a.Roots == nil {
		return nil, false, nil
	}
	certs := r.TLS.PeerCertificates
	opts := x509.VerifyOptions{
		Roots:         a.Roots(),
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if err := clientChains.verify(certs, opts); err != nil {
		return nil, false, ErrInvalidCredentials
	}
	leaf := certs[0]
	if a.Remaining != nil {
		a.Remaining(time.Until(leaf.NotAfter))
	}
	if leaf.Subject.CommonName == "" {
		// No user name: no opinion, the next authenticator decides.
		return nil, false, nil
	}
	sum := sha256.Sum256(leaf.Raw)
	return &request.User{
		Name:   leaf.Subject.CommonName,
		Groups: slices.Clone(leaf.Subject.Organization),
		Extra:  map[string][]string{CredentialIDKey: {"X509SHA256=" + hex.EncodeToString(sum[:])}},
	}, true, nil
}

// Anonymous authenticates every request as system:anonymous.
type Anonymous struct{}

// AuthenticateRequest implements Authenticator.
func (Anonymous) AuthenticateRequest(*http.Request) (*request.User, bool, error) {
	return &request.User{Name: request.Anonymous, Groups: []string{request.AllUnauthenticated}}, true, nil
}
