package builtin

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
)

// componentProbeTimeout bounds one health probe, as upstream's.
const componentProbeTimeout = 20 * time.Second

// componentProbe checks one component's health: its state, message and error.
type componentProbe func(ctx context.Context) (corev1.ConditionStatus, string, string)

// componentStatuses serves the deprecated v1 componentstatuses: the scheduler and
// controller manager probed on their local secure ports, and etcd.
func componentStatuses(deps Deps) *registry.Resource {
	probes := map[string]componentProbe{
		"controller-manager": httpsProbe("https://127.0.0.1:10257/healthz"),
		"scheduler":          httpsProbe("https://127.0.0.1:10259/healthz"),
	}
	if deps.EtcdHealth != nil {
		probes["etcd-0"] = func(ctx context.Context) (corev1.ConditionStatus, string, string) {
			if err := deps.EtcdHealth(ctx); err != nil {
				return corev1.ConditionFalse, "", err.Error()
			}
			return corev1.ConditionTrue, "ok", ""
		}
	}
	cs := coreKind("ComponentStatus")
	cs.Name, cs.SingularName, cs.ShortNames, cs.Namespaced = "componentstatuses", "componentstatus", []string{"cs"}, false
	cs.Verbs = []string{"get", "list"}
	cs.Table = printers.ComponentStatus()
	cs.Get = func(ctx context.Context, name string) (runtime.Object, error) {
		probe, ok := probes[name]
		if !ok {
			return nil, apierrors.NewNotFound(corev1.Resource("componentstatus"), name)
		}
		return componentStatus(ctx, name, probe), nil
	}
	cs.List = func(ctx context.Context) (runtime.Object, error) {
		names := make([]string, 0, len(probes))
		for name := range probes {
			names = append(names, name)
		}
		sort.Strings(names)
		items := make([]corev1.ComponentStatus, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				items[i] = *componentStatus(ctx, name, probes[name])
			}()
		}
		wg.Wait()
		return &corev1.ComponentStatusList{Items: items}, nil
	}
	return &cs
}

func componentStatus(ctx context.Context, name string, probe componentProbe) *corev1.ComponentStatus {
	status, msg, errMsg := probe(ctx)
	return &corev1.ComponentStatus{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Conditions: []corev1.ComponentCondition{{Type: corev1.ComponentHealthy, Status: status, Message: msg, Error: errMsg}},
	}
}

// httpsProbe GETs url without verifying its certificate, as upstream's probes of the
// local control-plane components do: under 400 is healthy, an unreachable component
// is Unknown.
func httpsProbe(url string) componentProbe {
	client := &http.Client{
		Timeout:   componentProbeTimeout,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	return func(ctx context.Context) (corev1.ConditionStatus, string, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return corev1.ConditionUnknown, "", fmt.Sprintf("failed to construct probe request: %v", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return corev1.ConditionUnknown, "", err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 10<<10))
		if resp.StatusCode >= http.StatusBadRequest {
			return corev1.ConditionFalse, string(body), fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return corev1.ConditionTrue, string(body), ""
	}
}
