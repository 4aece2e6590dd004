package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// kapiProcess is a kapi the command started itself on a fresh data directory.
type kapiProcess struct {
	dataDir    string
	kubeconfig string
	cmd        *exec.Cmd
	log        *tailBuffer
	exited     chan struct{} // closed when the process has exited
	waitErr    error         // valid once exited is closed
}

// startKapi runs binary on an empty temporary data dir and a free loopback port and
// returns once /readyz answers 200, with the time that took from exec.
func startKapi(ctx context.Context, binary string, extraArgs []string, timeout time.Duration) (*kapiProcess, time.Duration, error) {
	dataDir, err := os.MkdirTemp("", "kapi-load-")
	if err != nil {
		return nil, 0, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dataDir)
		return nil, 0, err
	}
	args := append([]string{"--data-dir", dataDir, "--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port)}, extraArgs...)
	p := &kapiProcess{
		dataDir:    dataDir,
		kubeconfig: filepath.Join(dataDir, "admin.kubeconfig"),
		log:        &tailBuffer{},
		exited:     make(chan struct{}),
	}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	// Never leave a server behind when this command dies.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dataDir)
		return nil, 0, fmt.Errorf("starting %s: %w", binary, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	url := "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + "/readyz"
	if err := p.waitReady(ctx, url, start.Add(timeout)); err != nil {
		p.stop(false)
		return nil, 0, err
	}
	return p, time.Since(start), nil
}

// waitReady polls /readyz anonymously (the probe needs no credentials; upstream's
// bootstrap RBAC lets everyone read /readyz) until it answers 200.
func (p *kapiProcess) waitReady(ctx context.Context, url string, deadline time.Time) error {
	client := &http.Client{
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // a probe of our own child
			DisableKeepAlives: false,
		},
	}
	defer client.CloseIdleConnections()
	last := "no answer yet"
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("kapi exited before it was ready (%v); its last lines:\n%s", p.waitErr, p.log.tail(20))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("kapi's /readyz did not answer 200 in time (last: %s); its last lines:\n%s", last, p.log.tail(20))
}

// pid is the server's process id, for RSS samples.
func (p *kapiProcess) pid() int { return p.cmd.Process.Pid }

// stop ends the server with SIGTERM (SIGKILL after 15s) and removes its data
// directory unless keep is set.
func (p *kapiProcess) stop(keep bool) error {
	var err error
	select {
	case <-p.exited:
		err = fmt.Errorf("kapi had exited during the run: %v", p.waitErr)
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
			err = errors.New("kapi did not stop within 15s of SIGTERM")
		}
	}
	if !keep {
		os.RemoveAll(p.dataDir)
	}
	return err
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

// tailBuffer keeps the last 64 KiB a process wrote, for error messages.
type tailBuffer struct {
	mu  sync.Mutex // guards buf
	buf []byte
}

const tailLimit = 64 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > tailLimit {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-tailLimit:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := bytes.Split(bytes.TrimRight(b.buf, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
