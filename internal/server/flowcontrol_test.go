package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

func int32p(v int32) *int32 { return &v }

// TestPriorityAndFairness floods the server as a noisy user whom a FlowSchema puts
// in a small priority level, while a quiet user keeps making requests in the
// global-default level: the noisy user gets 429s, the quiet one none, and its
// latency stays low.
func TestPriorityAndFairness(t *testing.T) {
	tokens := writeFile(t, "tokens.csv", "noisy-token,noisy,2001\nquiet-token,quiet,2002\n")
	in := servertest.StartWith(t, func(c *server.Config) { c.TokenAuthFile = tokens })
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(in.Config)

	t.Run("bootstrap configuration is stored", func(t *testing.T) {
		fss, err := admin.FlowcontrolV1().FlowSchemas().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, fs := range fss.Items {
			names = append(names, fs.Name)
		}
		for _, want := range []string{"exempt", "catch-all", "probes", "global-default", "service-accounts", "system-nodes"} {
			if !slices.Contains(names, want) {
				t.Errorf("FlowSchema %s missing from %v", want, names)
			}
		}
		pls, err := admin.FlowcontrolV1().PriorityLevelConfigurations().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pls.Items) != 8 {
			t.Errorf("got %d priority levels, want 8", len(pls.Items))
		}
	})

	pl, err := admin.FlowcontrolV1().PriorityLevelConfigurations().Create(ctx, &flowcontrolv1.PriorityLevelConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "noisy"},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type: flowcontrolv1.PriorityLevelEnablementLimited,
			Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: int32p(1), LendablePercent: int32p(0), BorrowingLimitPercent: int32p(0),
				LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue,
					Queuing: &flowcontrolv1.QueuingConfiguration{Queues: 1, HandSize: 1, QueueLengthLimit: 2}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	schema := func(name, level string) *flowcontrolv1.FlowSchema {
		return &flowcontrolv1.FlowSchema{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: flowcontrolv1.FlowSchemaSpec{
				PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: level},
				MatchingPrecedence:         500,
				DistinguisherMethod:        &flowcontrolv1.FlowDistinguisherMethod{Type: flowcontrolv1.FlowDistinguisherMethodByUserType},
				Rules: []flowcontrolv1.PolicyRulesWithSubjects{{
					Subjects: []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: "noisy"}}},
					ResourceRules: []flowcontrolv1.ResourcePolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"},
						Namespaces: []string{"*"}, ClusterScope: true}},
				}},
			},
		}
	}
	fs, err := admin.FlowcontrolV1().FlowSchemas().Create(ctx, schema("noisy", "noisy"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.FlowcontrolV1().FlowSchemas().Create(ctx, schema("dangling", "no-such-level"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("status conditions", func(t *testing.T) {
		for _, tt := range []struct{ name, status, reason string }{{"noisy", "False", "Found"}, {"dangling", "True", "NotFound"}} {
			apfEventually(t, 10*time.Second, func() error {
				fs, err := admin.FlowcontrolV1().FlowSchemas().Get(ctx, tt.name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				for _, c := range fs.Status.Conditions {
					if c.Type == flowcontrolv1.FlowSchemaConditionDangling && string(c.Status) == tt.status && c.Reason == tt.reason {
						return nil
					}
				}
				return fmt.Errorf("%s conditions %+v", tt.name, fs.Status.Conditions)
			})
		}
	})

	// Slow-ish lists: a hundred 8 KiB ConfigMaps.
	ns := "apf-load"
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	blob := strings.Repeat("x", 8<<10)
	for i := 0; i < 100; i++ {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}, Data: map[string]string{"blob": blob}}
		if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "apf-load-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "noisy"},
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "quiet"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	noisy := apfTokenClient(t, in, "noisy-token")
	quiet := apfTokenClient(t, in, "quiet-token")
	listURL := in.URL + "/api/v1/namespaces/" + ns + "/configmaps"
	apfEventually(t, 10*time.Second, func() error {
		resp, err := noisy.Get(listURL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("noisy list: %d", resp.StatusCode)
		}
		if got := resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedFlowSchemaUID); got != string(fs.UID) {
			return fmt.Errorf("noisy classified by FlowSchema UID %q, want %q", got, fs.UID)
		}
		if got := resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedPriorityLevelConfigurationUID); got != string(pl.UID) {
			return fmt.Errorf("noisy classified at PriorityLevel UID %q, want %q", got, pl.UID)
		}
		return nil
	})

	const duration = 3 * time.Second
	stop := time.Now().Add(duration)
	var mu sync.Mutex
	noisyCodes := map[int]int{}
	var retryAfters []string
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				resp, err := noisy.Get(listURL)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				noisyCodes[resp.StatusCode]++
				if resp.StatusCode == http.StatusTooManyRequests {
					retryAfters = append(retryAfters, resp.Header.Get("Retry-After"))
				}
				mu.Unlock()
				if resp.StatusCode == http.StatusTooManyRequests {
					// A short pause instead of Retry-After, to keep the flood on.
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	var quietLatencies []time.Duration
	quietCodes := map[int]int{}
	for time.Now().Before(stop) {
		start := time.Now()
		resp, err := quiet.Get(listURL + "/cm-1")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		quietLatencies = append(quietLatencies, time.Since(start))
		quietCodes[resp.StatusCode]++
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()

	t.Logf("noisy: %v; quiet: %v over %d requests", noisyCodes, quietCodes, len(quietLatencies))
	if noisyCodes[http.StatusTooManyRequests] == 0 {
		t.Errorf("the noisy user was never throttled: %v", noisyCodes)
	}
	if noisyCodes[http.StatusOK] == 0 {
		t.Errorf("the noisy user was never served: %v", noisyCodes)
	}
	for _, ra := range retryAfters {
		if ra == "" || ra == "0" {
			t.Errorf("429 with Retry-After %q", ra)
			break
		}
	}
	if quietCodes[http.StatusTooManyRequests] != 0 || quietCodes[http.StatusOK] != len(quietLatencies) {
		t.Errorf("quiet user answers: %v", quietCodes)
	}
	slices.Sort(quietLatencies)
	p90 := quietLatencies[len(quietLatencies)*9/10]
	t.Logf("quiet p90 latency %v", p90)
	// Generous: two shared cores under the race detector, with the noisy lists
	// competing for CPU (typically well under 500ms).
	if p90 > 2*time.Second {
		t.Errorf("quiet user's p90 latency %v, want under 2s", p90)
	}

	t.Run("429 body and metrics", func(t *testing.T) {
		resp, err := in.HTTPClient(t).Get(in.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`apiserver_flowcontrol_nominal_limit_seats{priority_level="noisy"} 3`,
			`apiserver_flowcontrol_nominal_limit_seats{priority_level="global-default"} 49`,
			`apiserver_flowcontrol_rejected_requests_total{flow_schema="noisy",priority_level="noisy",reason="queue-full"}`,
			`apiserver_flowcontrol_dispatched_requests_total{flow_schema="noisy",priority_level="noisy"}`,
			`apiserver_flowcontrol_request_wait_duration_seconds_bucket{execute="true",flow_schema="noisy"`,
			`apiserver_flowcontrol_current_executing_seats{priority_level="noisy"}`,
			`apiserver_flowcontrol_current_inqueue_requests{flow_schema="noisy",priority_level="noisy"} 0`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	t.Run("admin is exempt", func(t *testing.T) {
		exempt, err := admin.FlowcontrolV1().FlowSchemas().Get(ctx, "exempt", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := in.HTTPClient(t).Get(listURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedFlowSchemaUID); got != string(exempt.UID) {
			t.Errorf("admin classified by %q, want the exempt schema %q", got, exempt.UID)
		}
	})
}

func apfTokenClient(t *testing.T, in *servertest.Instance, token string) *http.Client {
	t.Helper()
	cfg := rest.AnonymousClientConfig(in.Config)
	cfg.BearerToken = token
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// apfEventually retries check for up to timeout.
func apfEventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
