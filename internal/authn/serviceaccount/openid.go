package serviceaccount

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Paths of the service-account issuer discovery documents.
const (
	OpenIDConfigPath = "/.well-known/openid-configuration"
	JWKSPath         = "/openid/v1/jwks"
)

// openIDMaxAge is how long relying parties may cache the documents, in seconds: the
// keys never change while the server runs.
const openIDMaxAge = 3600

// OpenIDMetadata holds the pre-rendered discovery document and key set.
type OpenIDMetadata struct {
	config []byte
	keyset []byte
}

// openIDConfiguration is the subset of OIDC provider metadata relying parties need to
// verify tokens, in upstream's field order.
type openIDConfiguration struct {
	Issuer        string   `json:"issuer"`
	JWKSURI       string   `json:"jwks_uri"`
	ResponseTypes []string `json:"response_types_supported"`
	SubjectTypes  []string `json:"subject_types_supported"`
	SigningAlgs   []string `json:"id_token_signing_alg_values_supported"`
}

// NewOpenIDMetadata renders the documents for issuerURL, which must be an https URL
// without query or fragment. The key set's address is jwksURI, or
// https://<externalAddress>/openid/v1/jwks when jwksURI is empty. Upstream serves
// nothing when this fails; the caller should log the error and go on.
func NewOpenIDMetadata(issuerURL, jwksURI, externalAddress string, keys []PublicKey) (*OpenIDMetadata, error) {
	if issuerURL == "" {
		return nil, errors.New("empty issuer URL")
	}
	if jwksURI == "" && externalAddress == "" {
		return nil, errors.New("either the JWKS URI or the default external address, or both, must be set")
	}
	iss, err := url.Parse(issuerURL)
	switch {
	case err != nil:
		return nil, err
	case iss.Scheme != "https":
		return nil, fmt.Errorf("issuer URL must use https scheme, got: %s", issuerURL)
	case iss.RawQuery != "":
		return nil, fmt.Errorf("issuer URL may not include a query, got: %s", issuerURL)
	case iss.Fragment != "":
		return nil, fmt.Errorf("issuer URL may not include a fragment, got: %s", issuerURL)
	}
	if jwksURI == "" {
		u := url.URL{Scheme: "https", Host: externalAddress, Path: JWKSPath}
		jwksURI = u.String()
		if p, err := url.Parse(jwksURI); err != nil || p.Host != externalAddress || p.Path != JWKSPath {
			return nil, fmt.Errorf("attempted to build jwks_uri from external address %s, but could not construct a valid URL", externalAddress)
		}
	} else if u, err := url.Parse(jwksURI); err != nil {
		return nil, err
	} else if u.Scheme != "https" {
		return nil, fmt.Errorf("jwksURI requires https scheme, parsed as: %v", u.String())
	}
	if len(keys) == 0 {
		return nil, errors.New("no keys provided for validating keyset")
	}
	set, err := publicKeySet(keys)
	if err != nil {
		return nil, err
	}
	var algs []string
	for _, k := range set.Keys {
		if !slices.Contains(algs, k.Algorithm) {
			algs = append(algs, k.Algorithm)
		}
	}
	slices.Sort(algs)
	config, err := json.Marshal(openIDConfiguration{
		Issuer: issuerURL, JWKSURI: jwksURI,
		ResponseTypes: []string{"id_token"}, SubjectTypes: []string{"public"}, SigningAlgs: algs,
	})
	if err != nil {
		return nil, err
	}
	keyset, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	return &OpenIDMetadata{config: config, keyset: keyset}, nil
}

// publicKeySet converts keys to a JWK set, each with the algorithm it signs with.
func publicKeySet(keys []PublicKey) (*jose.JSONWebKeySet, error) {
	set := &jose.JSONWebKeySet{}
	for i, k := range keys {
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
		default:
			return nil, fmt.Errorf("error constructing JWK for key #%d: unknown public key type %T", i, k.Key)
		}
		alg, err := signingAlgorithm(k.Key)
		if err != nil {
			return nil, fmt.Errorf("error constructing JWK for key #%d: %w", i, err)
		}
		jwk := jose.JSONWebKey{Key: k.Key, KeyID: k.KeyID, Algorithm: string(alg), Use: "sig"}
		if !jwk.Valid() {
			return nil, fmt.Errorf("key #%d not valid", i)
		}
		set.Keys = append(set.Keys, jwk)
	}
	return set, nil
}

// ConfigurationHandler serves the discovery document.
func (m *OpenIDMetadata) ConfigurationHandler() http.Handler {
	return documentHandler(m.config, "application/json")
}

// KeySetHandler serves the key set (RFC 7517's media type).
func (m *OpenIDMetadata) KeySetHandler() http.Handler {
	return documentHandler(m.keyset, "application/jwk-set+json")
}

// documentHandler serves body to GET requests that accept contentType, answering
// other requests as upstream's router does (405 with Allow, 406).
func documentHandler(body []byte, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet:
			w.Header().Set("Allow", http.MethodGet)
			plainError(w, http.StatusMethodNotAllowed, "405: Method Not Allowed")
			return
		case !accepts(r.Header.Get("Accept"), contentType):
			plainError(w, http.StatusNotAcceptable, "406: Not Acceptable\n\nAvailable representations: "+contentType)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", openIDMaxAge))
		_, _ = w.Write(body)
	})
}

// accepts reports whether an Accept header lists */* or exactly contentType; wildcards
// such as application/* do not count, as in upstream's router.
func accepts(header, contentType string) bool {
	if header == "" {
		return true
	}
	for _, part := range strings.Split(header, ",") {
		mt, _, _ := strings.Cut(part, ";")
		mt = strings.TrimSpace(mt)
		if mt == "*/*" || mt == contentType {
			return true
		}
	}
	return false
}

func plainError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg))
}
