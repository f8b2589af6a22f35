package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

// queueProxy stands in for Knative's queue-proxy: it proxies :8012 to the user container on
// USER_PORT and is ready once a TCP connection to the user container succeeds (Knative's default
// readiness for a container without an explicit probe).
func queueProxy(args []string) int {
	userPort := envOr("USER_PORT", "8080")
	port := envOr("QUEUE_SERVING_PORT", "8012")
	target, _ := url.Parse("http://127.0.0.1:" + userPort)
	proxy := httputil.NewSingleHostReverseProxy(target)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The kubelet's readiness probe carries this header; queue-proxy answers it itself.
		if r.Header.Get("K-Network-Probe") == "queue" || r.Header.Get("K-Kubelet-Probe") != "" {
			if !userContainerUp(userPort) {
				http.Error(w, "queue not ready", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "queue")
			return
		}
		proxy.ServeHTTP(w, r)
	})
	fmt.Fprintf(os.Stderr, `{"severity":"INFO","timestamp":"%s","logger":"queueproxy","caller":"sharedmain/main.go:282","message":"Starting queue-proxy"}`+"\n", time.Now().UTC().Format(time.RFC3339Nano))
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func userContainerUp(port string) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
