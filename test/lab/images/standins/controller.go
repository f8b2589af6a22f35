package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

// controllerManager stands in for kserve-controller's /manager: it only answers the health probes
// on :8081, because the lab's KServe emulation does the real work inside the lab process.
func controllerManager(args []string) int {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	http.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	fmt.Fprintf(os.Stderr, "%s\tINFO\tsetup\tstarting manager\n", time.Now().UTC().Format(time.RFC3339))
	if err := http.ListenAndServe(envOr("HEALTH_PROBE_ADDR", ":8081"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
