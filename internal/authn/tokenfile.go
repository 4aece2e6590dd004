package authn

import (
	"crypto/subtle"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/kapi-dev/kapi/internal/request"
)

// TokenFile authenticates bearer tokens listed in a kube-apiserver --token-auth-file:
// CSV lines "token,user,uid[,\"group1,group2\"]".
type TokenFile struct {
	tokens map[string]*request.User
}

// NewTokenFile reads path.
func NewTokenFile(path string) (*TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseTokens(f, path)
}

func parseTokens(r io.Reader, name string) (*TokenFile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	t := &TokenFile{tokens: map[string]*request.User{}}
	line := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" || strings.HasPrefix(rec[0], "#") {
			continue
		}
		if len(rec) < 3 {
			return nil, fmt.Errorf("%s: line %d: token file needs at least 3 columns: token, user name, uid", name, line)
		}
		if rec[0] == "" {
			// Upstream skips a line without a token rather than failing the file.
			slog.Warn("token file: skipping line with an empty token", "file", name, "line", line)
			continue
		}
		u := &request.User{Name: rec[1], UID: rec[2]}
		if len(rec) >= 4 && rec[3] != "" {
			for _, g := range strings.Split(rec[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					u.Groups = append(u.Groups, g)
				}
			}
		}
		t.tokens[rec[0]] = u
	}
}

// AuthenticateRequest implements Authenticator.
func (t *TokenFile) AuthenticateRequest(r *http.Request) (*request.User, bool, error) {
	token, ok := BearerToken(r)
	if !ok {
		return nil, false, nil
	}
	for known, u := range t.tokens {
		if subtle.ConstantTimeCompare([]byte(known), []byte(token)) == 1 {
			cp := *u
			return &cp, true, nil
		}
	}
	return nil, false, ErrInvalidCredentials
}

// BearerToken returns the token of an "Authorization: Bearer" header.
// As upstream, the header is split on single spaces: "Bearer  x" carries no token
// and "Bearer x y" carries x.
func BearerToken(r *http.Request) (string, bool) {
	parts := strings.Split(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if len(parts) < 2 || !strings.EqualFold(parts[0], "bearer") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}
