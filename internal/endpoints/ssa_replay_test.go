package endpoints_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

const ssaDir = "../../../shared/reference/ssa"

// replayStep is one captured request and kube-apiserver v1.37.2's answer.
type replayStep struct {
	name         string
	method, path string
	contentType  string
	body         []byte
	wantCode     int
	wantWarnings []string
	wantBody     map[string]any
}

func readStep(t *testing.T, name string) replayStep {
	t.Helper()
	req, err := os.ReadFile(filepath.Join(ssaDir, name+".request.txt"))
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := bytes.Cut(req, []byte("\n\n"))
	lines := strings.Split(string(head), "\n")
	method, path, _ := strings.Cut(lines[0], " ")
	st := replayStep{name: name, method: method, path: path, body: body}
	for _, l := range lines[1:] {
		if k, v, ok := strings.Cut(l, ": "); ok && strings.EqualFold(k, "Content-Type") {
			st.contentType = v
		}
	}
	hdr, err := os.ReadFile(filepath.Join(ssaDir, name+".headers.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(hdr))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "HTTP/") {
			f := strings.Fields(line)
			st.wantCode, _ = strconv.Atoi(f[1])
		}
		if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, "warning") {
			st.wantWarnings = append(st.wantWarnings, v)
		}
	}
	resp, err := os.ReadFile(filepath.Join(ssaDir, name+".response.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(resp, &st.wantBody); err != nil {
		t.Fatal(err)
	}
	return st
}

// normalize drops what differs between any two servers: identities, versions and
// times, which the captures also left out.
func normalize(v map[string]any) map[string]any {
	if md, ok := v["metadata"].(map[string]any); ok {
		for _, k := range []string{"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"} {
			delete(md, k)
		}
		if mf, ok := md["managedFields"].([]any); ok {
			for _, e := range mf {
				if m, ok := e.(map[string]any); ok {
					delete(m, "time")
				}
			}
			// Entries are ordered by time, then manager: with times left out, the
			// order of two writes a second apart differs from two within one.
			sort.SliceStable(mf, func(i, j int) bool {
				mi, _ := mf[i].(map[string]any)
				mj, _ := mf[j].(map[string]any)
				return fmt.Sprint(mi["operation"], mi["manager"]) < fmt.Sprint(mj["operation"], mj["manager"])
			})
		}
	}
	return v
}

// TestReplayServerSideApplySequence replays the writes captured from
// kube-apiserver v1.37.2 (../shared/reference/ssa) and compares each answer: status
// code, Warning headers and the body, managed fields included.
func TestReplayServerSideApplySequence(t *testing.T) {
	entries, err := os.ReadDir(ssaDir)
	if err != nil {
		t.Skipf("reference captures not available: %v", err)
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".request.txt"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ssa"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	client := in.HTTPClient(t)
	for _, name := range names {
		st := readStep(t, name)
		// Every step depends on the ones before: stop at the first difference.
		ok := t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(st.method, in.URL+st.path, bytes.NewReader(st.body))
			if err != nil {
				t.Fatal(err)
			}
			if st.contentType != "" {
				req.Header.Set("Content-Type", st.contentType)
			}
			req.Header.Set("Accept", "application/json")
			// The captures were made with curl; a write without fieldManager is
			// attributed to the user agent's product name.
			req.Header.Set("User-Agent", "curl/8.5.0")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != st.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, st.wantCode, data)
			}
			if got := resp.Header.Values("Warning"); !reflect.DeepEqual(got, st.wantWarnings) && (len(got) > 0 || len(st.wantWarnings) > 0) {
				t.Errorf("warnings %q, want %q", got, st.wantWarnings)
			}
			var got map[string]any
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("response is not JSON: %v: %s", err, data)
			}
			want := normalize(st.wantBody)
			got = normalize(got)
			if !reflect.DeepEqual(got, want) {
				gj, _ := json.MarshalIndent(got, "", " ")
				wj, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("body differs from kube-apiserver's\n got: %s\nwant: %s", gj, wj)
			}
		})
		if !ok {
			break
		}
	}
}
