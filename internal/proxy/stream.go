package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxErrorBody bounds how much of a failed backend response becomes the message.
const maxErrorBody = 50000

// errRedirect refuses backend redirects of streamed GETs (pods/log): the kubelet has
// no reason to send the API server elsewhere.
var errRedirect = errors.New("redirects forbidden")

// Get fetches loc with rt for streaming; the caller closes the body. A response
// outside 200-206 is turned into an error by check, which gets at most the first
// 50000 bytes of the body.
func Get(ctx context.Context, rt http.RoundTripper, loc *url.URL, check func(code int, body string) error) (*http.Response, error) {
	client := &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("failed to construct request for %s, got %v", loc, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < http.StatusOK || resp.StatusCode > http.StatusPartialContent {
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if err != nil {
			return nil, err
		}
		return nil, check(resp.StatusCode, string(body))
	}
	return resp, nil
}

// CopyStream answers 200 with body as contentType, flushing after every read when
// flush is set (followed logs), until body ends or the client goes.
func CopyStream(w http.ResponseWriter, body io.Reader, contentType string, flush bool) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	if !flush {
		_, _ = io.Copy(w, body)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
