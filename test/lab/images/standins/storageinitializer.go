package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// storageInitializer stands in for /storage-initializer/scripts/initializer-entrypoint.
func storageInitializer(args []string) int {
	if legacyStorage() {
		return legacyInitializer(args)
	}
	return initializer(args)
}

// initializer is the v0.17+ entrypoint: pairs of source URI and destination, errors caught and logged.
func initializer(args []string) int {
	log := pyLogger{name: "storage.initializer"}
	if len(args) < 2 || len(args)%2 != 0 {
		fmt.Println("Usage: initializer-entrypoint src_uri_0 dest_path_0 ... src_uri_n dest_path_n")
		return 1
	}
	var pairs []string
	for i := 0; i < len(args); i += 2 {
		pairs = append(pairs, fmt.Sprintf("('%s', '%s')", args[i], args[i+1]))
	}
	log.info("initializer-entrypoint:<module>():17", "Initializing, args: (src_uri, dest_path): [%s]", strings.Join(pairs, ", "))
	for i := 1; i < len(args); i += 2 { // every destination exists before the first download
		if err := os.MkdirAll(args[i], 0o755); err != nil {
			traceback([]string{`  File "/storage-initializer/scripts/initializer-entrypoint", line 23, in <module>`, "    os.makedirs(dest, exist_ok=True)"}, &pyException{text: osErrorText(err, args[i])})
			return 1
		}
	}
	for i := 0; i < len(args); i += 2 {
		exc := download(args[i], args[i+1])
		if exc == nil {
			continue
		}
		if strings.HasPrefix(exc.text, "RuntimeError: ") {
			log.error("initializer-entrypoint:<module>():28", "Storage initialization failed: %s", exc.message())
		} else {
			log.error("initializer-entrypoint:<module>():31", "Unexpected error during storage initialization: %s", exc.message())
		}
		return 1
	}
	return 0
}

// legacyInitializer is the entrypoint up to v0.16: one URI and one destination, nothing caught.
func legacyInitializer(args []string) int {
	if len(args) != 2 {
		fmt.Println("Usage: initializer-entrypoint src_uri dest_path")
		return 0 // a bare sys.exit()
	}
	pyLogger{name: "kserve"}.info("initializer-entrypoint:<module>():16", "Initializing, args: src_uri [%s] dest_path[ [%s]", args[0], args[1])
	if exc := download(args[0], args[1]); exc != nil {
		traceback([]string{`  File "/storage-initializer/scripts/initializer-entrypoint", line 17, in <module>`, "    Storage.download(src_uri, dest_path)"}, exc)
		return 1
	}
	return 0
}

// download follows Storage.download for the schemes the lab serves: local paths and http(s).
func download(uri, outDir string) *pyException {
	start := time.Now()
	storageLog("INFO", "download():168", "Copying contents of %s to local", uri)
	var exc *pyException
	switch {
	case isLocal(uri):
		exc = copyLocal(strings.TrimPrefix(uri, "file://"), outDir)
	case strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://"):
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return osException(err, outDir)
		}
		exc = downloadFromURI(uri, outDir)
	default:
		return unrecognizedStorage(uri)
	}
	if exc != nil {
		return exc
	}
	storageLog("INFO", "download():243", "Successfully copied %s to %s", uri, outDir)
	storageLog("INFO", "download():244", "Model downloaded in %v seconds.", time.Since(start).Seconds())
	return nil
}

// downloadFromURI is Storage._download_from_uri: one file named after the URL path, unpacked when it
// is a tar archive; the server must say application/octet-stream (or a tar type for archives).
func downloadFromURI(uri, outDir string) *pyException {
	runtimeError := func(format string, a ...interface{}) *pyException {
		return &pyException{[]string{storageFrame(1285), "    check_http_response(uri, response)"}, "RuntimeError: " + fmt.Sprintf(format, a...)}
	}
	u, err := url.Parse(uri)
	filename := ""
	if err == nil {
		filename = filepath.Base(u.Path)
	}
	if filename == "" || filename == "." || filename == "/" {
		return runtimeError("No filename contained in URI: %s", uri)
	}
	client := http.Client{Timeout: 30 * time.Second}
	res, err := client.Get(uri)
	if err != nil {
		if legacyStorage() {
			return &pyException{[]string{storageFrame(718), "    with requests.get(uri, stream=True, headers=headers) as response:"},
				fmt.Sprintf("requests.exceptions.ConnectionError: HTTPConnectionPool(host='%s', port=%s): Max retries exceeded with url: %s (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))", u.Hostname(), u.Port(), u.RequestURI())}
		}
		storageLogger.error("storage_errors.py:raise_storage_error():42", "HTTP error for %s: %s", uri, err)
		return runtimeError("Failed to connect to HTTP endpoint '%s'.", u.Hostname())
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		if legacyStorage() {
			return runtimeError("URI: %s returned a %d response code.", uri, res.StatusCode)
		}
		switch res.StatusCode {
		case 401:
			return runtimeError("HTTP authentication failed for '%s'. Verify credentials.", uri)
		case 403:
			return runtimeError("HTTP access denied for '%s'. Verify permissions.", uri)
		case 404:
			return runtimeError("HTTP resource not found at '%s'.", uri)
		}
		return runtimeError("HTTP request to '%s' failed with status code %d.", uri, res.StatusCode)
	}
	isTar := strings.HasSuffix(filename, ".tar") || strings.HasSuffix(filename, ".tar.gz") || strings.HasSuffix(filename, ".tgz")
	if !isTar && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/octet-stream") {
		return runtimeError("URI: %s did not respond with 'Content-Type': 'application/octet-stream'", uri)
	}
	if isTar {
		storageLog("INFO", "_unpack_archive_file():1336", "Unpacking: %s", filepath.Join(outDir, filename))
		if err := untar(res.Body, strings.HasSuffix(filename, "gz"), outDir); err != nil {
			return &pyException{[]string{storageFrame(1340)}, "tarfile.ReadError: " + err.Error()}
		}
		return nil
	}
	if err := writeFile(filepath.Join(outDir, filename), res.Body, 0o644); err != nil {
		return osException(err, filepath.Join(outDir, filename))
	}
	return nil
}

func osException(err error, path string) *pyException {
	return &pyException{[]string{storageFrame(1327), "    with open(local_path, \"wb\") as out:"}, osErrorText(err, path)}
}

func untar(r io.Reader, gzipped bool, outDir string) error {
	if gzipped {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		target := filepath.Join(outDir, filepath.Clean("/"+h.Name)) // tarfile's "data" filter: stay inside
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeReg:
			err = writeFile(target, tr, os.FileMode(h.Mode)&0o777)
		}
		if err != nil {
			return err
		}
	}
}

func copyLocal(src, outDir string) *pyException {
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(outDir, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		return writeFile(target, in, info.Mode()&0o777)
	})
	if err != nil {
		return osException(err, src)
	}
	return nil
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	defer out.Close()
	_, err = io.Copy(out, r)
	return err
}
