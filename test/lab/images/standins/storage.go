package main

import (
	"fmt"
	"os"
	"strings"
)

// The storage types kserve_storage (v0.17+) lists when it cannot handle a URI.
const storageTypes = "'gs://', 's3://', 'file://', 'http(s)://' and 'hf://' are the current available storage type."

// storageLogger is the logger of KServe's kserve_storage package.
var storageLogger = pyLogger{name: "kserve"}

// errUnrecognizedStorage is Storage.download's error for a URI that is neither an existing local
// path nor one of the known schemes: what the sklearn server raises for a missing /mnt/models and
// what the storage initializer says for oci://.
func errUnrecognizedStorage(uri string) error {
	return fmt.Errorf("Cannot recognize storage type for %s\n%s", uri, storageTypes)
}

// isLocal is Storage.download's test: `uri.startswith("file://") or os.path.exists(uri)`.
// os.path.exists is false for a dangling link and for one the kernel refuses to follow.
func isLocal(uri string) bool {
	if strings.HasPrefix(uri, "file://") {
		return true
	}
	_, err := os.Stat(uri)
	return err == nil
}
