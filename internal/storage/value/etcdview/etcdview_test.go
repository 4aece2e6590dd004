package etcdview_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
	"github.com/kapi-dev/kapi/internal/storage/value/etcdview"
)

func transformer(t *testing.T) value.Transformer {
	t.Helper()
	gcm, err := aes.NewGCM(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	key := value.NewPrefixList(errors.New("no key"), value.Prefixed{Prefix: []byte("k:"), Transformer: gcm})
	return value.NewPrefixList(errors.New("no matching prefix found"), value.Prefixed{Prefix: []byte("k8s:enc:aesgcm:v1:"), Transformer: key})
}

func put(t *testing.T, c *clientv3.Client, tr value.Transformer, key, val string) {
	t.Helper()
	stored, err := tr.TransformToStorage(context.Background(), []byte(val), []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(context.Background(), key, string(stored)); err != nil {
		t.Fatal(err)
	}
}

func TestView(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := etcdtest.Start(t)
	tr := transformer(t)
	view := etcdview.New(c, tr)
	put(t, c, tr, "/registry/secrets/ns/a", "value-a")

	resp, err := view.Get(ctx, "/registry/secrets/", clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "value-a" {
		t.Fatalf("get through the view: %v %v", resp, err)
	}
	raw, _ := c.Get(ctx, "/registry/secrets/ns/a")
	if !strings.HasPrefix(string(raw.Kvs[0].Value), "k8s:enc:aesgcm:v1:k:") {
		t.Fatal("the view changed what the real client reads")
	}

	wch := view.Watch(ctx, "/registry/secrets/", clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1), clientv3.WithPrevKV())
	put(t, c, tr, "/registry/secrets/ns/a", "value-a2")
	wr := <-wch
	if err := wr.Err(); err != nil || len(wr.Events) != 1 || string(wr.Events[0].Kv.Value) != "value-a2" || string(wr.Events[0].PrevKv.Value) != "value-a" {
		t.Fatalf("watch event through the view: %+v %v", wr, err)
	}
	if _, err := c.Delete(ctx, "/registry/secrets/ns/a"); err != nil {
		t.Fatal(err)
	}
	if wr := <-wch; wr.Err() != nil || len(wr.Events) != 1 || string(wr.Events[0].PrevKv.Value) != "value-a2" {
		t.Fatalf("delete event through the view: %+v", wr)
	}

	// A value that does not decrypt: Get fails, a watch ends with the reason.
	if _, err := c.Put(ctx, "/registry/secrets/ns/broken", "k8s:enc:aesgcm:v1:k:garbage-garbage-garbage"); err != nil {
		t.Fatal(err)
	}
	wr = <-wch
	if err := wr.Err(); err == nil || !strings.Contains(err.Error(), `unable to transform key "/registry/secrets/ns/broken"`) {
		t.Fatalf("watch of an undecryptable value: %v", err)
	}
	if _, ok := <-wch; ok {
		t.Fatal("watch still open after the failure")
	}
	if _, err := view.Get(ctx, "/registry/secrets/", clientv3.WithPrefix()); err == nil || !strings.Contains(err.Error(), "unable to transform key") {
		t.Fatalf("get of an undecryptable value: %v", err)
	}
}

func TestViewIsReadOnly(t *testing.T) {
	ctx := context.Background()
	c := etcdtest.Start(t)
	view := etcdview.New(c, transformer(t))
	writes := map[string]func() error{
		"put":    func() error { _, err := view.Put(ctx, "/k", "v"); return err },
		"delete": func() error { _, err := view.Delete(ctx, "/k"); return err },
		"do":     func() error { _, err := view.Do(ctx, clientv3.OpPut("/k", "v")); return err },
		"txn":    func() error { _, err := view.Txn(ctx).Then(clientv3.OpPut("/k", "v")).Commit(); return err },
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			if err := write(); err == nil {
				t.Fatal("write through the view succeeded")
			}
		})
	}
	if resp, _ := c.Get(ctx, "/k"); len(resp.Kvs) != 0 {
		t.Fatal("a write reached etcd")
	}
	_ = view.Close() // a context client reports its own cancellation
	if _, err := c.Put(ctx, "/still-open", "v"); err != nil {
		t.Fatalf("closing the view closed the client: %v", err)
	}
}
