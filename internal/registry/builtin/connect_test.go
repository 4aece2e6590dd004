package builtin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"

	"github.com/kapi-dev/kapi/internal/proxy/proxytest"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// connectEnv is a kapi whose node n1 is a fake kubelet, with pods on it.
type connectEnv struct {
	in      *servertest.Instance
	cs      *kubernetes.Clientset
	kubelet *proxytest.Kubelet
	// hostIP is a non-loopback address of this machine, or nil.
	hostIP net.IP
}

func startConnectEnv(t *testing.T) *connectEnv {
	t.Helper()
	return startConnectEnvWith(t, nil)
}

// startConnectEnvWith is startConnectEnv with configure applied to the server's
// configuration last.
func startConnectEnvWith(t *testing.T, configure func(*server.Config)) *connectEnv {
	t.Helper()
	env := &connectEnv{hostIP: proxytest.NonLoopbackIP()}
	kubeletHost := "127.0.0.1"
	if env.hostIP != nil {
		kubeletHost = env.hostIP.String()
	}
	env.kubelet = proxytest.StartKubelet(t, kubeletHost)
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("alice-token,alice,1001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env.in = servertest.StartWith(t, func(c *server.Config) {
		c.KubeletClientCertificate = env.kubelet.ClientCertFile
		c.KubeletClientKey = env.kubelet.ClientKeyFile
		c.KubeletCertificateAuthority = env.kubelet.CAFile
		c.KubeletPreferredAddressTypes = []string{"InternalIP"}
		c.AuthorizationModes = []string{"RBAC"}
		c.TokenAuthFile = tokens
		if configure != nil {
			configure(c)
		}
	})
	env.cs = kubernetes.NewForConfigOrDie(env.in.Config)
	// The pods' service account, unless a controller made it already.
	if _, err := env.cs.CoreV1().ServiceAccounts("default").Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	env.node(t, "n1", kubeletHost, env.kubelet.Port)
	env.node(t, "loopback", "127.0.0.1", env.kubelet.Port)
	env.pod(t, "one", "n1", "", "c1")
	env.pod(t, "two", "n1", "", "a", "b")
	env.pod(t, "gone", "n1", "", "missing")
	env.pod(t, "unbound", "", "", "c1")
	return env
}

func (env *connectEnv) node(t *testing.T, name, address string, port int) {
	t.Helper()
	ctx := context.Background()
	n, err := env.cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: address}, {Type: corev1.NodeHostName, Address: name}}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	if _, err := env.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (env *connectEnv) pod(t *testing.T, name, node, ip string, containers ...string) {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{NodeName: node}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "busybox",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}}})
	}
	p, err := env.cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ip == "" {
		return
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP, p.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	if _, err := env.cs.CoreV1().Pods("default").UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// do sends method path with the admin's credentials (or token's) and returns the
// code and body.
func (env *connectEnv) do(t *testing.T, token, method, path string) (int, string) {
	t.Helper()
	c := env.in.HTTPClient(t)
	if token != "" {
		c = env.in.AnonymousClient(t)
	}
	req, _ := http.NewRequest(method, env.in.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// statusMessage returns the message of a Status body.
func statusMessage(body string) string {
	var st metav1.Status
	_ = json.Unmarshal([]byte(body), &st)
	return st.Message
}

func TestConnectSubresources(t *testing.T) {
	env := startConnectEnv(t)
	t.Run("logs", env.testLogs)
	t.Run("logs follow", env.testLogsFollow)
	t.Run("exec", env.testExec)
	t.Run("portforward", env.testPortForward)
	t.Run("node proxy", env.testNodeProxy)
	t.Run("pod and service proxy", env.testPodAndServiceProxy)
	t.Run("authorization", env.testAuthorization)
	t.Run("discovery", env.testDiscovery)
}

// TestConnectThrottled: with --max-connection-bytes-per-sec an exec stream moves
// no more than that many bytes a second each way, and moves them intact.
func TestConnectThrottled(t *testing.T) {
	const rate, size = 20000, 30000 // a burst of 20000 each way, the rest half a second later
	env := startConnectEnvWith(t, func(c *server.Config) { c.MaxConnectionBytesPerSec = rate })
	u, _ := http.NewRequest("POST", env.execURL("exec", "one", "command=cat&stdin=true&stdout=true"), nil)
	exec, err := remotecommand.NewSPDYExecutor(env.in.Config, "POST", u.URL)
	if err != nil {
		t.Fatal(err)
	}
	stdin := strings.Repeat("x", size-1) + "\n"
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader(stdin), Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if want := "exec cat\n" + stdin; out.String() != want {
		t.Fatalf("stdout has %d bytes, want the %d of the command line and stdin", out.Len(), len(want))
	}
	if min := 400 * time.Millisecond; elapsed < min {
		t.Errorf("the exec moved %d bytes each way in %v at %d bytes a second, want at least %v", size, elapsed, rate, min)
	}
}

// testDiscovery compares the connect subresources of /api/v1 with kube-apiserver's.
func (env *connectEnv) testDiscovery(t *testing.T) {
	type entry struct {
		Name         string   `json:"name"`
		SingularName string   `json:"singularName"`
		Namespaced   bool     `json:"namespaced"`
		Kind         string   `json:"kind"`
		Verbs        []string `json:"verbs"`
	}
	type list struct {
		Resources []entry `json:"resources"`
	}
	var ref, got list
	data, err := os.ReadFile("../../../../shared/reference/discovery/api_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	code, body := env.do(t, "", "GET", "/api/v1")
	if code != 200 {
		t.Fatalf("GET /api/v1: %d %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	index := func(l list) map[string]entry {
		m := map[string]entry{}
		for _, e := range l.Resources {
			m[e.Name] = e
		}
		return m
	}
	refs, gots := index(ref), index(got)
	for _, name := range []string{"pods/attach", "pods/exec", "pods/log", "pods/portforward", "pods/proxy", "nodes/proxy", "services/proxy"} {
		t.Run(name, func(t *testing.T) {
			want, ok := refs[name]
			if !ok {
				t.Fatalf("%s is not in the reference", name)
			}
			if g := gots[name]; fmt.Sprint(g) != fmt.Sprint(want) {
				t.Errorf("discovery %+v, want %+v", g, want)
			}
		})
	}
}

func (env *connectEnv) testLogs(t *testing.T) {
	const base = "/api/v1/namespaces/default/pods/"
	tests := []struct {
		name, method, path string
		wantCode           int
		wantBody           string // a substring of the body (or of the Status message)
		wantKubeletQuery   string
	}{
		{name: "only container", method: "GET", path: base + "one/log", wantCode: 200, wantBody: "default/one/c1 line 3", wantKubeletQuery: ""},
		{name: "options are passed on", method: "GET", path: base + "one/log?tailLines=2&timestamps=true&limitBytes=10&sinceSeconds=5&previous=1",
			wantCode: 200, wantBody: "query limitBytes=10&previous=true&sinceSeconds=5&tailLines=2&timestamps=true"},
		{name: "named container", method: "GET", path: base + "two/log?container=b", wantCode: 200, wantBody: "default/two/b line 1"},
		{name: "container required", method: "GET", path: base + "two/log", wantCode: 400,
			wantBody: "a container name must be specified for pod two, choose one of: [a b]"},
		{name: "unknown container", method: "GET", path: base + "one/log?container=x", wantCode: 400, wantBody: "container x is not valid for pod one"},
		{name: "negative tailLines", method: "GET", path: base + "one/log?tailLines=-1", wantCode: 422,
			wantBody: `PodLogOptions "one" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`},
		{name: "zero limitBytes", method: "GET", path: base + "one/log?limitBytes=0", wantCode: 422, wantBody: "limitBytes: Invalid value: 0: must be greater than 0"},
		{name: "since twice", method: "GET", path: base + "one/log?sinceSeconds=1&sinceTime=2024-01-01T00:00:00Z", wantCode: 422,
			wantBody: "at most one of `sinceTime` or `sinceSeconds` may be specified"},
		{name: "stream gated off", method: "GET", path: base + "one/log?stream=All", wantCode: 422, wantBody: "stream: Forbidden: may not be specified"},
		{name: "not a number", method: "GET", path: base + "one/log?tailLines=x", wantCode: 400, wantBody: "invalid syntax"},
		{name: "not bound", method: "GET", path: base + "unbound/log", wantCode: 204},
		{name: "no such pod", method: "GET", path: base + "nope/log", wantCode: 404, wantBody: `pods "nope" not found`},
		{name: "kubelet 404", method: "GET", path: base + "gone/log", wantCode: 404},
		{name: "POST not allowed", method: "POST", path: base + "one/log", wantCode: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := env.do(t, "", tc.method, tc.path)
			if code != tc.wantCode {
				t.Fatalf("code %d, want %d: %s", code, tc.wantCode, body)
			}
			if !strings.Contains(body, tc.wantBody) && !strings.Contains(statusMessage(body), tc.wantBody) {
				t.Errorf("body %q does not contain %q", body, tc.wantBody)
			}
		})
	}
	reqs := env.kubelet.Requests()
	if len(reqs) == 0 || reqs[0].Path != "/containerLogs/default/one/c1" || reqs[0].ClientCN != "kube-apiserver-kubelet-client" {
		t.Errorf("kubelet requests %+v, want /containerLogs/default/one/c1 with the client certificate", reqs)
	}
	for _, r := range reqs {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("the kubelet got the client's credentials: %v", r.Header)
		}
	}
}

func (env *connectEnv) testLogsFollow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := env.cs.CoreV1().Pods("default").GetLogs("one", &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	buf := make([]byte, 0, 1024)
	chunk := make([]byte, 256)
	for !strings.Contains(string(buf), "line 5\n") {
		n, err := stream.Read(chunk)
		if err != nil {
			t.Fatalf("after %q: %v", buf, err)
		}
		buf = append(buf, chunk[:n]...)
	}
	if !strings.HasPrefix(string(buf), "query follow=true\n") {
		t.Errorf("followed log %q, want the kubelet asked with follow=true", buf)
	}
}

func (env *connectEnv) execURL(sub, pod, query string) string {
	return env.in.URL + "/api/v1/namespaces/default/pods/" + pod + "/" + sub + "?" + query
}

func (env *connectEnv) testExec(t *testing.T) {
	tests := []struct {
		name      string
		websocket bool
		sub, pod  string
		query     string
		stdin     string
		want      string
	}{
		{name: "spdy exec with stdin", sub: "exec", pod: "one", query: "command=ls&command=-l&stdin=true&stdout=true", stdin: "hi\n", want: "exec ls -l\nhi\n"},
		{name: "spdy attach", sub: "attach", pod: "two", query: "container=b&stdout=true", want: "attach \n"},
		{name: "websocket exec", websocket: true, sub: "exec", pod: "one", query: "command=date&stdout=true", want: "exec date\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := http.NewRequest("POST", env.execURL(tc.sub, tc.pod, tc.query), nil)
			var exec remotecommand.Executor
			var err error
			if tc.websocket {
				exec, err = remotecommand.NewWebSocketExecutor(env.in.Config, "GET", u.URL.String())
			} else {
				exec, err = remotecommand.NewSPDYExecutor(env.in.Config, "POST", u.URL)
			}
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			opts := remotecommand.StreamOptions{Stdout: &out}
			if tc.stdin != "" {
				opts.Stdin = strings.NewReader(tc.stdin)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := exec.StreamWithContext(ctx, opts); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("stdout %q, want %q", out.String(), tc.want)
			}
		})
	}

	errs := []struct {
		name, method, path string
		wantCode           int
		wantMessage        string
	}{
		{"not an upgrade", "POST", "/api/v1/namespaces/default/pods/one/exec?command=ls&stdout=true", 400, "Upgrade request required"},
		{"not bound", "POST", "/api/v1/namespaces/default/pods/unbound/exec?command=ls", 400, "pod unbound does not have a host assigned"},
		{"container required", "POST", "/api/v1/namespaces/default/pods/two/attach", 400, "a container name must be specified for pod two, choose one of: [a b]"},
		{"dry run refused", "POST", "/api/v1/namespaces/default/pods/one/exec?dryRun=All", 400, "dryRun is not supported"},
		{"PUT not allowed", "PUT", "/api/v1/namespaces/default/pods/one/exec", 405, ""},
		{"bad ports", "POST", "/api/v1/namespaces/default/pods/one/portforward?ports=x", 400, "cannot convert to []int32"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			code, body := env.do(t, "", tc.method, tc.path)
			if code != tc.wantCode || !strings.Contains(statusMessage(body), tc.wantMessage) {
				t.Errorf("got %d %s, want %d %q", code, body, tc.wantCode, tc.wantMessage)
			}
		})
	}
}

func (env *connectEnv) testPortForward(t *testing.T) {
	rt, upgrader, err := spdy.RoundTripperFor(env.in.Config)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := http.NewRequest("POST", env.in.URL+"/api/v1/namespaces/default/pods/one/portforward", nil)
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: rt}, "POST", u.URL)
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:8080"}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	defer func() {
		close(stop)
		<-done
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("port-forward: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("port-forward not ready")
	}
	ports, err := fw.GetPorts()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ports[0].Local))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "ping\n")
	want := "hello from port 8080\nping\n"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(conn, got); err != nil || string(got) != want {
		t.Errorf("forwarded %q (%v), want %q", got, err, want)
	}
}

func (env *connectEnv) testNodeProxy(t *testing.T) {
	if env.hostIP == nil {
		t.Skip("no non-loopback address: upstream refuses to proxy to loopback kubelets")
	}
	code, body := env.do(t, "", "GET", "/api/v1/nodes/n1/proxy/healthz?x=1")
	if code != 200 {
		t.Fatalf("code %d: %s", code, body)
	}
	var echo proxytest.Echo
	if err := json.Unmarshal([]byte(body), &echo); err != nil {
		t.Fatal(err)
	}
	if echo.Path != "/healthz" || echo.Query != "x=1" || echo.Header.Get("Authorization") != "" ||
		echo.Header.Get("X-Forwarded-Uri") != "/api/v1/nodes/n1/proxy/healthz" {
		t.Errorf("kubelet got %+v", echo)
	}
	tests := []struct {
		name, method, path string
		wantCode           int
		wantMessage        string
	}{
		{"loopback kubelet refused", "GET", "/api/v1/nodes/loopback/proxy/healthz", 400, "address not allowed"},
		{"bad name", "GET", "/api/v1/nodes/ftp:n1:1/proxy/", 400, `invalid node request "ftp:n1:1"`},
		{"no such node", "GET", "/api/v1/nodes/nope/proxy/", 404, `nodes "nope" not found`},
		{"deprecated proxy path", "GET", "/api/v1/proxy/nodes/n1/healthz", 404, ""},
		{"delete passes", "DELETE", "/api/v1/nodes/n1/proxy/x", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := env.do(t, "", tc.method, tc.path)
			if code != tc.wantCode || (tc.wantMessage != "" && !strings.Contains(statusMessage(body), tc.wantMessage)) {
				t.Errorf("got %d %s, want %d %q", code, body, tc.wantCode, tc.wantMessage)
			}
		})
	}
}

func (env *connectEnv) testPodAndServiceProxy(t *testing.T) {
	if env.hostIP == nil {
		t.Skip("no non-loopback address for a pod IP")
	}
	ctx := context.Background()
	ln, err := net.Listen("tcp", net.JoinHostPort(env.hostIP.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "backend %s %s auth=%q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}))
	backend.Listener = ln
	backend.Start()
	defer backend.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	ip := env.hostIP.String()
	env.pod(t, "web", "n1", ip, "w")
	env.pod(t, "local", "n1", "127.0.0.1", "w")
	if _, err := env.cs.CoreV1().Services("default").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}, Selector: map[string]string{"app": "web"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	name, p := "http", int32(port)
	if _, err := env.cs.DiscoveryV1().EndpointSlices("default").Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{ip},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web"}}},
		Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &p}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		wantCode           int
		want               string
	}{
		{"pod on its port", "GET", fmt.Sprintf("/api/v1/namespaces/default/pods/web:%d/proxy/a/b", port), 200, `backend GET /a/b auth=""`},
		{"pod with http scheme", "POST", fmt.Sprintf("/api/v1/namespaces/default/pods/http:web:%d/proxy/", port), 200, "backend POST / "},
		{"loopback pod refused", "GET", "/api/v1/namespaces/default/pods/local:80/proxy/", 400, "address not allowed"},
		{"service by port name", "GET", "/api/v1/namespaces/default/services/web:http/proxy/hello", 200, "backend GET /hello"},
		{"service by port number", "PUT", "/api/v1/namespaces/default/services/web:80/proxy/x/", 200, "backend PUT /x/"},
		{"service port unknown", "GET", "/api/v1/namespaces/default/services/web:81/proxy/", 503, `no service port 81 found for service "web"`},
		{"service without endpoints", "GET", "/api/v1/namespaces/default/services/empty/proxy/", 503, `no endpoints available for service "empty"`},
		{"service root redirects", "GET", "/api/v1/namespaces/default/services/web:http/proxy", 301, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := env.in.HTTPClient(t)
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			req, _ := http.NewRequest(tc.method, env.in.URL+tc.path, nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode || (!strings.Contains(string(body), tc.want) && !strings.Contains(statusMessage(string(body)), tc.want)) {
				t.Errorf("got %d %s, want %d %q", resp.StatusCode, body, tc.wantCode, tc.want)
			}
		})
	}
}

func (env *connectEnv) testAuthorization(t *testing.T) {
	ctx := context.Background()
	if _, err := env.cs.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods", "pods/exec"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.cs.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "alice"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `pods "one" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "default"`
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := env.do(t, "alice-token", "GET", "/api/v1/namespaces/default/pods/one")
		if code == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // the RBAC index follows a watch
	}
	tests := []struct {
		name, method, path string
		wantCode           int
		wantMessage        string
	}{
		{"get pod allowed", "GET", "/api/v1/namespaces/default/pods/one", 200, ""},
		{"exec by POST needs create", "POST", "/api/v1/namespaces/default/pods/one/exec?command=ls", 403, want},
		{"exec by GET needs create too", "GET", "/api/v1/namespaces/default/pods/one/exec?command=ls", 403, want},
		{"logs need pods/log", "GET", "/api/v1/namespaces/default/pods/one/log", 403,
			`pods "one" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "default"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := env.do(t, "alice-token", tc.method, tc.path)
			if code != tc.wantCode || (tc.wantMessage != "" && statusMessage(body) != tc.wantMessage) {
				t.Errorf("got %d %s, want %d %q", code, body, tc.wantCode, tc.wantMessage)
			}
		})
	}
}
