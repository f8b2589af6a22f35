package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

// queueProxy stands in for Knative's queue-proxy: it proxies QUEUE_SERVING_PORT (8012) to the user
// container on USER_PORT and answers the kubelet's readiness probe itself by running the user
// container's probe from SERVING_READINESS_PROBE (Knative moves it there). The admin port (8022)
// answers the drain preStop hook.
func queueProxy(args []string) int {
	userPort := envOr("USER_PORT", "8080")
	port := envOr("QUEUE_SERVING_PORT", "8012")
	probe := parseProbe(os.Getenv("SERVING_READINESS_PROBE"), userPort)
	target, _ := url.Parse("http://127.0.0.1:" + userPort)
	proxy := httputil.NewSingleHostReverseProxy(target)
	admin := http.NewServeMux()
	admin.HandleFunc("/wait-for-drain", func(w http.ResponseWriter, r *http.Request) {})
	go http.ListenAndServe(":"+envOr("QUEUE_ADMIN_PORT", "8022"), admin)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("K-Network-Probe") == "queue" || r.Header.Get("K-Kubelet-Probe") != "" {
			if !probe() {
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

// userProbe is the part of a Kubernetes probe queue-proxy runs against the user container.
type userProbe struct {
	TCPSocket *struct {
		Host string      `json:"host"`
		Port json.Number `json:"port"`
	} `json:"tcpSocket"`
	HTTPGet *struct {
		Host   string      `json:"host"`
		Port   json.Number `json:"port"`
		Path   string      `json:"path"`
		Scheme string      `json:"scheme"`
	} `json:"httpGet"`
}

// parseProbe returns a check for SERVING_READINESS_PROBE; without one, a TCP connect to the user port.
func parseProbe(spec, userPort string) func() bool {
	var p userProbe
	json.Unmarshal([]byte(spec), &p)
	hostPort := func(host string, port json.Number) string {
		if host == "" {
			host = "127.0.0.1"
		}
		if port == "" || port == "0" {
			port = json.Number(userPort)
		}
		return net.JoinHostPort(host, port.String())
	}
	if g := p.HTTPGet; g != nil {
		client := http.Client{Timeout: time.Second}
		target := "http://" + hostPort(g.Host, g.Port) + g.Path
		return func() bool {
			res, err := client.Get(target)
			if err != nil {
				return false
			}
			res.Body.Close()
			return res.StatusCode >= 200 && res.StatusCode < 400
		}
	}
	addr := "127.0.0.1:" + userPort
	if t := p.TCPSocket; t != nil {
		addr = hostPort(t.Host, t.Port)
	}
	return func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
