package admission_test

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// start runs kapi with configure applied and returns an admin clientset.
func start(t testing.TB, configure func(*server.Config)) kubernetes.Interface {
	t.Helper()
	return clientFor(t, servertest.StartWith(t, configure))
}

func clientFor(t testing.TB, in *servertest.Instance) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(in.Config)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// namespace creates a namespace and its default service account.
func namespace(t testing.TB, cs kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The serviceaccount controller may have created it already.
	_, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// pod is a minimal pod with one container.
func pod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

// wantStatus checks err is an API status with code and message.
func wantStatus(t *testing.T, err error, code int32, message string) {
	t.Helper()
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want a status %d %q", err, code, message)
	}
	if se.ErrStatus.Code != code || se.ErrStatus.Message != message {
		t.Fatalf("status = %d %q, want %d %q", se.ErrStatus.Code, se.ErrStatus.Message, code, message)
	}
}
