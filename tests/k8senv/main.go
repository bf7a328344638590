// Command k8senv runs a single-node Kubernetes control plane for apictl's tests:
// an embedded etcd (go.etcd.io/etcd/server/v3/embed) plus the stock
// kube-apiserver command (k8s.io/kubernetes/cmd/kube-apiserver/app), in one process.
//
// Usage:
//
//	k8senv --etcd-dir DIR --etcd-client-url http://127.0.0.1:P1 --etcd-peer-url http://127.0.0.1:P2 -- <kube-apiserver flags>
//
// Everything after "--" is passed to kube-apiserver unchanged; --etcd-servers is
// prepended. SIGTERM/SIGINT stop the apiserver (its own signal handler, which
// exits on a second signal); etcd is closed only after the apiserver returned.
// It is started and stopped by scripts/k8senv; it is not meant to be run by hand.
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // as in cmd/kube-apiserver/apiserver.go
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // idem
	_ "k8s.io/component-base/metrics/prometheus/version"  // idem
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func splitAt(args []string, sep string) (before, after []string) {
	for i, a := range args {
		if a == sep {
			return args[:i], args[i+1:]
		}
	}
	return args, nil
}

func mustURL(name, s string) url.URL {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		fmt.Fprintf(os.Stderr, "k8senv: bad --%s %q: %v\n", name, s, err)
		os.Exit(2)
	}
	return *u
}

func main() {
	own, rest := splitAt(os.Args[1:], "--")
	fs := flag.NewFlagSet("k8senv", flag.ExitOnError) // private FlagSet: no clash with klog/pflag globals
	dir := fs.String("etcd-dir", "", "etcd data directory (required)")
	clientURL := fs.String("etcd-client-url", "", "etcd client URL, e.g. http://127.0.0.1:2379 (required)")
	peerURL := fs.String("etcd-peer-url", "", "etcd peer URL, e.g. http://127.0.0.1:2380 (required)")
	etcdLogLevel := fs.String("etcd-log-level", "error", "etcd log level")
	_ = fs.Parse(own)
	if *dir == "" || *clientURL == "" || *peerURL == "" {
		fmt.Fprintln(os.Stderr, "k8senv: --etcd-dir, --etcd-client-url and --etcd-peer-url are required")
		fs.Usage()
		os.Exit(2)
	}

	cu, pu := mustURL("etcd-client-url", *clientURL), mustURL("etcd-peer-url", *peerURL)
	cfg := embed.NewConfig() // as k8s.io/apiserver pkg/storage/etcd3/testserver NewTestConfig
	cfg.Name = "k8senv"
	cfg.Dir = *dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true // test-only: data lives in tmpfs and is thrown away
	cfg.LogLevel = *etcdLogLevel

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k8senv: start etcd: %v\n", err)
		os.Exit(2)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		fmt.Fprintf(os.Stderr, "k8senv: etcd failed: %v\n", err)
		os.Exit(2)
	case <-time.After(60 * time.Second):
		e.Server.Stop()
		fmt.Fprintln(os.Stderr, "k8senv: etcd took too long to start")
		os.Exit(2)
	}
	go func() {
		if err := <-e.Err(); err != nil {
			fmt.Fprintf(os.Stderr, "k8senv: etcd error: %v\n", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "k8senv: etcd ready at %s\n", cu.String())

	cmd := app.NewAPIServerCommand() // installs its own SIGINT/SIGTERM handler
	cmd.SetArgs(append([]string{"--etcd-servers=" + cu.String()}, rest...))
	code := cli.Run(cmd)
	fmt.Fprintf(os.Stderr, "k8senv: kube-apiserver returned %d, stopping etcd\n", code)
	e.Close()
	os.Exit(code)
}
