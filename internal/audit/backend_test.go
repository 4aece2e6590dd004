package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector is a Backend that keeps what it receives; block, when set, holds every
// ProcessEvents call until it is closed.
type collector struct {
	mu       sync.Mutex
	batches  [][]*Event
	block    chan struct{}
	shutdown bool
}

func (c *collector) ProcessEvents(events ...*Event) bool {
	if c.block != nil {
		<-c.block
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, events)
	return true
}

func (c *collector) Shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shutdown = true
}

func (c *collector) count() (events, batches int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.batches {
		events += len(b)
	}
	return events, len(c.batches)
}

func testEvent(i int) *Event {
	e := NewEvent()
	e.AuditID = "id"
	e.Verb = fmt.Sprint(i)
	return e
}

func TestBufferedBatches(t *testing.T) {
	tests := []struct {
		name        string
		cfg         BatchConfig
		send        int
		wantBatches int
	}{
		{name: "full batches", cfg: BatchConfig{BufferSize: 100, MaxBatchSize: 10, MaxBatchWait: time.Hour}, send: 30, wantBatches: 3},
		{name: "partial batch flushed at shutdown", cfg: BatchConfig{BufferSize: 100, MaxBatchSize: 10, MaxBatchWait: time.Hour}, send: 25, wantBatches: 3},
		{name: "one per batch", cfg: BatchConfig{BufferSize: 100, MaxBatchSize: 1}, send: 7, wantBatches: 7},
		{name: "async and throttled", cfg: BatchConfig{BufferSize: 100, MaxBatchSize: 5, MaxBatchWait: time.Hour, AsyncDelegate: true,
			ThrottleEnable: true, ThrottleQPS: 1000, ThrottleBurst: 1}, send: 20, wantBatches: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &collector{}
			var m Metrics
			b := NewBuffered(c, tt.cfg, &m)
			for i := range tt.send {
				if !b.ProcessEvents(testEvent(i)) {
					t.Fatal("ProcessEvents failed")
				}
			}
			b.Shutdown()
			events, batches := c.count()
			if events != tt.send || batches != tt.wantBatches {
				t.Errorf("%d events in %d batches, want %d in %d", events, batches, tt.send, tt.wantBatches)
			}
			if !c.shutdown {
				t.Error("delegate not shut down")
			}
			if n := m.Snapshot().ErrorTotal[BufferedPluginName]; n != 0 {
				t.Errorf("%d events counted as dropped", n)
			}
		})
	}
}

func TestBufferedMaxWaitSendsPartialBatch(t *testing.T) {
	c := &collector{}
	b := NewBuffered(c, BatchConfig{BufferSize: 10, MaxBatchSize: 100, MaxBatchWait: 20 * time.Millisecond}, nil)
	defer b.Shutdown()
	b.ProcessEvents(testEvent(1), testEvent(2))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if events, _ := c.count(); events == 2 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the partial batch was not sent after MaxBatchWait")
}

func TestBufferedFullBufferDropsAndCounts(t *testing.T) {
	c := &collector{block: make(chan struct{})}
	var m Metrics
	b := NewBuffered(c, BatchConfig{BufferSize: 2, MaxBatchSize: 1}, &m)
	// The first event is taken by the batching goroutine, which blocks in the
	// delegate; the buffer then holds two more; the rest are dropped.
	b.ProcessEvents(testEvent(0))
	deadline := time.Now().Add(5 * time.Second)
	for len(b.buffer) != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for i := 1; i <= 5; i++ {
		if !b.ProcessEvents(testEvent(i)) {
			t.Fatal("batch mode must not fail requests")
		}
	}
	if got := m.Snapshot().ErrorTotal[BufferedPluginName]; got != 3 {
		t.Errorf("apiserver_audit_error_total{plugin=buffered} = %d, want 3", got)
	}
	close(c.block)
	b.Shutdown()
	if events, _ := c.count(); events != 3 {
		t.Errorf("%d events delivered, want 3", events)
	}
	if b.ProcessEvents(testEvent(9)); m.Snapshot().ErrorTotal[BufferedPluginName] != 4 {
		t.Error("an event after shutdown is not counted as lost")
	}
}

func TestBlockingModeNeverDrops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := OpenLogFile(LogFileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	var m Metrics
	log, err := NewLogBackend(w, FormatJSON, &m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := WithMode(log, ModeBlocking, BatchConfig{}, &m)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				b.ProcessEvents(testEvent(g*each + i))
			}
		}()
	}
	wg.Wait()
	b.Shutdown()
	seen := map[string]bool{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		seen[e.Verb] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct events in the log, want %d", len(seen), writers*each)
	}
	if c := m.Snapshot(); len(c.ErrorTotal) != 0 {
		t.Errorf("errors counted: %v", c.ErrorTotal)
	}
}

func TestWithModeRejectsUnknownMode(t *testing.T) {
	if _, err := WithMode(&collector{}, "sometimes", BatchConfig{}, nil); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

// failing is a Backend that always fails.
type failing struct{}

func (failing) ProcessEvents(...*Event) bool { return false }
func (failing) Shutdown()                    {}

func TestModeFailureReporting(t *testing.T) {
	tests := []struct {
		mode string
		want bool
	}{
		{ModeBlocking, true},
		{ModeBlockingStrict, false},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			b, err := WithMode(failing{}, tt.mode, BatchConfig{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := (Union{b}).ProcessEvents(testEvent(1)); got != tt.want {
				t.Errorf("ProcessEvents = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLogFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "audit.log")
	w, err := OpenLogFile(LogFileOptions{Path: path, MaxSize: 1, MaxBackups: 2})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", st.Mode().Perm())
	}
	log, err := NewLogBackend(w, FormatJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := testEvent(0)
	big.UserAgent = string(bytes.Repeat([]byte("x"), 64<<10))
	for range 80 { // about 5 MiB: several rotations
		if !log.ProcessEvents(big) {
			t.Fatal("write failed")
		}
	}
	log.Shutdown()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	// The current file and MaxBackups rotated ones (cleanup runs asynchronously).
	deadline := time.Now().Add(5 * time.Second)
	for len(entries) != 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		entries, _ = os.ReadDir(filepath.Dir(path))
	}
	if len(entries) != 3 {
		t.Errorf("%d files, want the log and 2 backups", len(entries))
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over --audit-log-maxsize", e.Name(), info.Size())
		}
	}
}

func TestLogFileWithoutRotationAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, []byte("earlier\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := OpenLogFile(LogFileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	log, _ := NewLogBackend(w, FormatLegacy, nil)
	log.ProcessEvents(testEvent(1))
	log.Shutdown()
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("earlier\n")) || !bytes.Contains(data, []byte(`AUDIT: id="id"`)) {
		t.Errorf("log content %q", data)
	}
}

func TestLogBackendRejectsUnknownFormat(t *testing.T) {
	if _, err := NewLogBackend(os.Stdout, "xml", nil); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestStripManagedFields(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"object", `{"kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"m"}]}}`, `{"kind":"Pod","metadata":{"name":"p"}}`},
		{"list", `{"kind":"PodList","metadata":{},"items":[{"metadata":{"name":"a","managedFields":[]}},{"metadata":{"name":"b"}}]}`, `{"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}],"kind":"PodList","metadata":{}}`},
		{"table", `{"kind":"Table","rows":[{"cells":[1],"object":{"metadata":{"name":"a","managedFields":[]}}}]}`, `{"kind":"Table","rows":[{"cells":[1],"object":{"metadata":{"name":"a"}}}]}`},
		{"none present", `{"kind":"Pod","metadata":{"name":"p"}}`, `{"kind":"Pod","metadata":{"name":"p"}}`},
		{"not an object", `[1,2]`, `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(StripManagedFields([]byte(tt.in))); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMetricsCollector(t *testing.T) {
	var m Metrics
	m.ObserveEvent()
	m.ObserveEvent()
	m.ObserveRejected()
	m.ObserveError(BufferedPluginName, 3)
	m.ObserveLevel(LevelMetadata)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			name := f.GetName()
			for _, l := range metric.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			got[name] = metric.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"apiserver_audit_event_total":                  2,
		"apiserver_audit_requests_rejected_total":      1,
		"apiserver_audit_error_total{plugin=buffered}": 3,
		"apiserver_audit_level_total{level=Metadata}":  1,
	}
	if len(got) != len(want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}
