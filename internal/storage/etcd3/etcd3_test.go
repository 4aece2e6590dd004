package etcd3_test

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
	"github.com/kapi-dev/kapi/internal/storage/storagetest"
)

func TestStorageSuite(t *testing.T) {
	for _, tc := range etcdtest.Clients {
		t.Run(tc.Name, func(t *testing.T) {
			storagetest.RunTests(t, func(t *testing.T) (storage.Interface, *clientv3.Client) {
				c := tc.Start(t)
				return etcd3.New(c, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, storagetest.Prefix), c
			})
		})
	}
}
