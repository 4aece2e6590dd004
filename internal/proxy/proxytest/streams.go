package proxytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
)

// streamAndReply is a stream the client opened, usable once its reply is sent.
type streamAndReply struct {
	httpstream.Stream
	replySent <-chan struct{}
}

// upgradeSPDY switches r to SPDY with one of protocols and returns the connection
// and the streams the client opens, or nil when the upgrade failed (answered).
func upgradeSPDY(w http.ResponseWriter, r *http.Request, protocols ...string) (httpstream.Connection, <-chan streamAndReply) {
	if _, err := httpstream.Handshake(r, w, protocols); err != nil {
		return nil, nil
	}
	streams := make(chan streamAndReply, 16)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s httpstream.Stream, replySent <-chan struct{}) error {
		streams <- streamAndReply{s, replySent}
		return nil
	})
	if conn == nil {
		return nil, nil
	}
	conn.SetIdleTimeout(time.Minute)
	return conn, streams
}

// serveExec runs a pretend command: stdout gets "<kind> <command...>" and then
// stdin echoed back; the error stream reports success.
func serveExec(w http.ResponseWriter, r *http.Request, kind string) {
	q := r.URL.Query()
	msg := fmt.Sprintf("%s %s\n", kind, strings.Join(q["command"], " "))
	if wsstream.IsWebSocketRequest(r) {
		serveExecWebSocket(w, r, msg, q.Get("input") == "1")
		return
	}
	conn, streams := upgradeSPDY(w, r, "v4.channel.k8s.io")
	if conn == nil {
		return
	}
	defer conn.Close()
	want := 1 // the error stream
	for _, p := range []string{"input", "output", "error", "tty"} {
		if q.Get(p) == "1" {
			want++
		}
	}
	got := map[string]httpstream.Stream{}
	timeout := time.After(10 * time.Second)
	for len(got) < want {
		select {
		case s := <-streams:
			<-s.replySent
			got[s.Headers().Get("streamType")] = s.Stream
		case <-timeout:
			return
		}
	}
	if out := got["stdout"]; out != nil {
		_, _ = io.WriteString(out, msg)
		if in := got["stdin"]; in != nil {
			_, _ = io.Copy(out, in)
		}
	}
	status, _ := json.Marshal(metav1.Status{Status: metav1.StatusSuccess})
	_, _ = got["error"].Write(status)
	for _, s := range got {
		_ = s.Close()
	}
}

// serveExecWebSocket is serveExec over the v5 (or v4) WebSocket channel protocol.
func serveExecWebSocket(w http.ResponseWriter, r *http.Request, msg string, stdin bool) {
	in := wsstream.IgnoreChannel
	if stdin {
		in = wsstream.ReadChannel
	}
	channels := []wsstream.ChannelType{in, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.IgnoreChannel}
	conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
		"v5.channel.k8s.io": {Binary: true, Channels: channels},
		"v4.channel.k8s.io": {Binary: true, Channels: channels},
	})
	conn.SetIdleTimeout(time.Minute)
	_, rws, err := conn.Open(w, r)
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = io.WriteString(rws[1], msg)
	if stdin {
		_, _ = io.Copy(rws[1], rws[0])
	}
	status, _ := json.Marshal(metav1.Status{Status: metav1.StatusSuccess})
	_, _ = rws[3].Write(status)
}

// servePortForward answers each forwarded connection with "hello from port <p>"
// and then echoes what it receives.
func servePortForward(w http.ResponseWriter, r *http.Request) {
	conn, streams := upgradeSPDY(w, r, "portforward.k8s.io")
	if conn == nil {
		return
	}
	defer conn.Close()
	for {
		select {
		case s := <-streams:
			go func() {
				<-s.replySent
				if s.Headers().Get("streamType") != "data" {
					return
				}
				_, _ = fmt.Fprintf(s, "hello from port %d\n", portOf(s.Headers().Get("port")))
				_, _ = io.Copy(s, s)
				_ = s.Close()
			}()
		case <-conn.CloseChan():
			return
		}
	}
}
