package main

import (
	"fmt"
	"os"
	"strings"
)

// storageModuleFile names the Python module the imitated image takes Storage from. The images of
// KServe up to v0.16 use `kserve.storage`; from v0.17 `kserve_storage`, a package of its own with
// more schemes, other messages and an entrypoint that catches errors. Absent means kserve_storage.
const storageModuleFile = "/etc/standins/storage-module"

func legacyStorage() bool {
	b, err := os.ReadFile(storageModuleFile)
	return err == nil && strings.TrimSpace(string(b)) == "kserve.storage"
}

// storageLogger is the logger Storage.download writes to.
var storageLogger = pyLogger{name: "kserve"}

// storageFrame is the traceback frame of a `raise` inside Storage.download.
func storageFrame(line int) string {
	if legacyStorage() {
		return fmt.Sprintf(`  File "/prod_venv/lib/python3.11/site-packages/kserve/storage/storage.py", line %d, in download`, line)
	}
	return fmt.Sprintf(`  File "/prod_venv/lib/python3.11/site-packages/kserve_storage/kserve_storage.py", line %d, in download`, line)
}

// unrecognizedStorage is Storage.download's error for a URI that is neither an existing local path
// nor one of the known schemes: what the sklearn server raises for a missing /mnt/models and what
// the storage initializer says for oci://.
func unrecognizedStorage(uri string) *pyException {
	if legacyStorage() {
		return &pyException{[]string{storageFrame(103), "    raise Exception("},
			fmt.Sprintf("Exception: Cannot recognize storage type for %s\n'gs://', 's3://', 'file://', and 'http(s)://' are the current available storage type.", uri)}
	}
	return &pyException{[]string{storageFrame(236), "    raise Exception("},
		fmt.Sprintf("Exception: Cannot recognize storage type for %s\n'gs://', 's3://', 'file://', 'http(s)://' and 'hf://' are the current available storage type.", uri)}
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

// storageLog writes a line of Storage's logger, naming the source file of the module in use.
func storageLog(level, site, format string, a ...interface{}) {
	file := "kserve_storage.py"
	if legacyStorage() {
		file = "storage.py"
	}
	storageLogger.log(level, file+":"+site, format, a...)
}
