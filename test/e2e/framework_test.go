package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kapiBinary is the path of the binary TestMain built.
var kapiBinary string

// shared is the server most tests talk to.
var shared *kapiServer

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "kapi-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	kapiBinary = filepath.Join(tmp, "kapi")
	if err := buildKapi(kapiBinary); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building kapi:", err)
		return 1
	}
	shared, err = startKapi(filepath.Join(tmp, "shared"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the shared server:", err)
		return 1
	}
	code := m.Run()
	if err := shared.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping the shared server:", err)
		if code == 0 {
			code = 1
		}
	}
	if code != 0 && os.Getenv("KAPI_E2E_LOG") == "" {
		fmt.Fprintf(os.Stderr, "e2e: shared server log tail:\n%s\n", shared.logTail(40))
	}
	return code
}

// buildKapi builds ./cmd/kapi of the enclosing module into out.
func buildKapi(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return err
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	touchSources(root)
	cmd := exec.Command("go", "build", "-o", out, "./cmd/kapi")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	return nil
}

// touchSources stats the server's Go files so that go test's result cache, which
// records the files a test looks at, is invalidated when the server changes.
func touchSources(root string) {
	for _, dir := range []string{"cmd", "internal"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
				_, _ = os.Stat(p)
			}
			return nil
		})
	}
}

// kapiServer is one running kapi process.
type kapiServer struct {
	dataDir    string
	kubeconfig string
	host       string // https://127.0.0.1:port
	cmd        *exec.Cmd
	log        *syncBuffer
	exited     chan struct{} // closed when the process exited
	waitErr    error         // valid once exited is closed
}

// startKapi starts kapi on dataDir and a free port and waits until /readyz passes.
// A port taken between picking and binding is retried on another port.
func startKapi(dataDir string) (*kapiServer, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startKapiOnce(dataDir)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startKapiOnce(dataDir string) (*kapiServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &kapiServer{
		dataDir:    dataDir,
		kubeconfig: filepath.Join(dataDir, "admin.kubeconfig"),
		log:        &syncBuffer{},
		exited:     make(chan struct{}),
	}
	s.cmd = exec.Command(kapiBinary, "--data-dir", dataDir, "--secure-port", strconv.Itoa(port),
		"--bind-address", "127.0.0.1", "--etcd-compaction-interval", "0")
	// Kill the server if the test binary dies without stopping it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out io.Writer = s.log
	if os.Getenv("KAPI_E2E_LOG") != "" {
		out = io.MultiWriter(s.log, os.Stderr)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.log.String(), "kapi is serving on https://") {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("kapi exited before serving (%v):\n%s", s.waitErr, s.log.tail(20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = s.kill()
			return nil, fmt.Errorf("kapi did not announce serving within 60s:\n%s", s.log.tail(20))
		}
	}
	s.host = "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if cfg, err := s.restConfigE(); err != nil || cfg.Host != s.host {
		_ = s.kill()
		if err == nil {
			err = fmt.Errorf("admin.kubeconfig points at %s, want %s", cfg.Host, s.host)
		}
		return nil, err
	}
	if err := s.waitReady(deadline); err != nil {
		_ = s.kill()
		return nil, err
	}
	return s, nil
}

// waitReady polls /readyz with the admin credentials until it answers 200.
func (s *kapiServer) waitReady(deadline time.Time) error {
	cfg, err := s.restConfigE()
	if err != nil {
		return err
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	var last string
	for time.Now().Before(deadline) {
		resp, err := client.Get(s.host + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("/readyz did not pass: %s", last)
}

// stop sends SIGTERM and requires a clean exit (code 0) within 10 seconds.
func (s *kapiServer) stop() error {
	select {
	case <-s.exited:
		return fmt.Errorf("kapi had already exited: %v", s.waitErr)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return fmt.Errorf("kapi exited uncleanly after SIGTERM: %v\n%s", s.waitErr, s.log.tail(20))
		}
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("kapi did not exit within 10s of SIGTERM; where it waits:\n%s", s.dumpStacks())
	}
}

// dumpStacks ends the process with SIGQUIT, which makes the Go runtime print every
// goroutine's stack, and returns the stacks that run kapi's own code, identical
// ones counted once, so that a hang in CI says where it waits.
func (s *kapiServer) dumpStacks() string {
	before := len(s.log.String())
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.kill()
	}
	return summarizeStacks(s.log.String()[before:])
}

// summarizeStacks groups a Go traceback's goroutines by state and frames (without
// arguments, offsets, ids or the runtime's frames) and keeps those with a frame of
// kapi's own packages or of the HTTP and TLS servers, where a shutdown waits.
func summarizeStacks(dump string) string {
	counts := map[string]int{}
	var order []string
	for _, g := range strings.Split(dump, "\n\n") {
		lines := strings.Split(strings.TrimSpace(g), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		state := lines[0]
		if i, j := strings.Index(state, "["), strings.Index(state, "]"); i >= 0 && j > i {
			state = state[i : j+1]
			if k := strings.Index(state, ","); k > 0 { // drop the wait's duration
				state = state[:k] + "]"
			}
		}
		var b strings.Builder
		b.WriteString(state)
		ours := false
		for i := 1; i < len(lines); i += 2 { // a function line, then its file line
			fn := lines[i]
			if k := strings.Index(fn, " in goroutine "); k > 0 {
				fn = fn[:k]
			} else if k := strings.LastIndex(fn, "("); k > 0 {
				fn = fn[:k]
			}
			if strings.HasPrefix(fn, "runtime.") {
				continue
			}
			ours = ours || strings.Contains(fn, "kapi-dev/kapi") || strings.HasPrefix(fn, "net/http.") ||
				strings.HasPrefix(fn, "crypto/tls.")
			b.WriteString("\n  " + fn)
		}
		key := b.String()
		if !ours {
			continue
		}
		if counts[key] == 0 {
			order = append(order, key)
		}
		counts[key]++
	}
	var out strings.Builder
	for _, k := range order {
		fmt.Fprintf(&out, "%d× %s\n", counts[k], k)
	}
	return out.String()
}

// kill ends the process without grace (cleanup after a failure).
func (s *kapiServer) kill() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	err := s.cmd.Process.Kill()
	<-s.exited
	return err
}

func (s *kapiServer) logTail(n int) string { return s.log.tail(n) }

// restConfigE loads the generated admin kubeconfig.
func (s *kapiServer) restConfigE() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", s.kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	cfg.Timeout = 30 * time.Second
	return cfg, nil
}

// restConfig is restConfigE for tests.
func (s *kapiServer) restConfig(t testing.TB) *rest.Config {
	t.Helper()
	cfg, err := s.restConfigE()
	if err != nil {
		t.Fatalf("loading %s: %v", s.kubeconfig, err)
	}
	return cfg
}

// clientset returns a typed clientset speaking JSON.
func (s *kapiServer) clientset(t testing.TB) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(s.restConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ctx returns a context cancelled when the test ends or after d.
func ctx(t testing.TB, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

// randSuffix returns 6 random hex characters.
func randSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testNamespace creates a fresh namespace on the shared server for one test.
// It is deleted afterwards (it stays Terminating: kapi runs no namespace controller).
func testNamespace(t testing.TB, prefix string) string {
	t.Helper()
	cs := shared.clientset(t)
	name := prefix + "-" + randSuffix()
	_, err := cs.CoreV1().Namespaces().Create(ctx(t, 30*time.Second),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	// The built-in serviceaccount controller creates "default" within milliseconds;
	// on a loaded CI machine it can take longer than admission's one-second wait for it.
	eventually(t, 30*time.Second, "default service account in "+name, func() error {
		_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx(t, 5*time.Second), "default", metav1.GetOptions{})
		return err
	})
	return name
}

// eventually polls cond every 50ms until it returns nil or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %v: %v", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kubectlResult is the outcome of one kubectl run.
type kubectlResult struct {
	stdout, stderr string
	err            error
}

// kubectlRunner runs kubectl with a server's generated admin.kubeconfig.
type kubectlRunner struct {
	path string
	env  []string // added to the environment: KUBECONFIG, HOME, KUBE_EDITOR
}

// newKubectl returns a runner for s, skipping the test when kubectl is missing.
func newKubectl(t testing.TB, s *kapiServer) *kubectlRunner {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on the PATH; the kubectl end-to-end tests need kubectl v1.32")
	}
	// A private cache dir keeps discovery caches of other runs out of the way.
	cache := t.TempDir()
	return &kubectlRunner{path: path, env: []string{"KUBECONFIG=" + s.kubeconfig, "HOME=" + cache}}
}

// command builds a kubectl command with the runner's kubeconfig and server.
func (k *kubectlRunner) command(c context.Context, args ...string) *exec.Cmd {
	full := append([]string{"--cache-dir", filepath.Join(envValue(k.env, "HOME"), "cache")}, args...)
	cmd := exec.CommandContext(c, k.path, full...)
	cmd.Env = append(os.Environ(), k.env...)
	return cmd
}

// run runs kubectl to completion with a 60s limit.
func (k *kubectlRunner) run(t testing.TB, stdin string, args ...string) kubectlResult {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := k.command(c, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	return kubectlResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// ok runs kubectl and fails the test unless it succeeds; it returns stdout.
func (k *kubectlRunner) ok(t testing.TB, args ...string) string {
	t.Helper()
	r := k.run(t, "", args...)
	if r.err != nil {
		t.Fatalf("kubectl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// lineReader collects lines from r in the background.
type lineReader struct {
	mu    sync.Mutex // guards lines
	lines []string
	done  chan struct{}
}

func readLines(r io.Reader) *lineReader {
	lr := &lineReader{done: make(chan struct{})}
	go func() {
		defer close(lr.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lr.mu.Lock()
			lr.lines = append(lr.lines, sc.Text())
			lr.mu.Unlock()
		}
	}()
	return lr
}

// find returns the first line with the prefix.
func (lr *lineReader) find(prefix string) (string, error) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	for _, l := range lr.lines {
		if strings.HasPrefix(l, prefix) {
			return l, nil
		}
	}
	return "", errors.New("no line starting with " + strconv.Quote(prefix) + " in " + strconv.Quote(strings.Join(lr.lines, "\n")))
}
