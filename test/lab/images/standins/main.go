// Stand-ins for the programs in KServe's and Knative's images, one static multi-call binary
// (like busybox): the name it is started as picks the program. Standard library only, so Debian's
// golang-go builds it offline with CGO_ENABLED=0.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

var programs = map[string]func(args []string) int{
	"sklearnserver":          sklearnServer,
	"initializer-entrypoint": storageInitializer,
	"queue":                  queueProxy,
	"manager":                controllerManager,
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "standins" && len(args) > 0 { // `standins <program> args...` for tests on the host
		name, args = args[0], args[1:]
	}
	run, ok := programs[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "standins: unknown program %q\n", name)
		os.Exit(127)
	}
	os.Exit(run(args))
}
