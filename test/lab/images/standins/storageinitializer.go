package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var initLogger = pyLogger{name: "storage.initializer"}

// storageInitializer stands in for /storage-initializer/scripts/initializer-entrypoint (v0.17+):
// args are pairs of source URI and destination directory.
func storageInitializer(args []string) int {
	if len(args) < 2 || len(args)%2 != 0 {
		fmt.Println("Usage: initializer-entrypoint src_uri_0 dest_path_0 ... src_uri_n dest_path_n")
		return 1
	}
	var pairs []string
	for i := 0; i < len(args); i += 2 {
		pairs = append(pairs, fmt.Sprintf("('%s', '%s')", args[i], args[i+1]))
	}
	initLogger.info("initializer-entrypoint:<module>():21", "Initializing, args: (src_uri, dest_path): [%s]", strings.Join(pairs, ", "))
	for i := 0; i < len(args); i += 2 {
		if err := os.MkdirAll(args[i+1], 0o755); err != nil {
			initLogger.error("initializer-entrypoint:<module>():36", "Unexpected error during storage initialization: %s", osErrorText(err, args[i+1]))
			return 1
		}
	}
	for i := 0; i < len(args); i += 2 {
		if err := download(args[i], args[i+1]); err != nil {
			initLogger.error("initializer-entrypoint:<module>():33", "%s", err)
			return 1
		}
	}
	return 0
}

// download follows Storage.download for the schemes the lab serves: local paths and http(s).
func download(uri, outDir string) error {
	start := time.Now()
	storageLogger.info("kserve_storage.py:download():168", "Copying contents of %s to local", uri)
	var err error
	switch {
	case isLocal(uri):
		err = copyLocal(strings.TrimPrefix(uri, "file://"), outDir)
	case strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://"):
		err = downloadFromURI(uri, outDir)
	default:
		return fmt.Errorf("Unexpected error during storage initialization: %s", errUnrecognizedStorage(uri))
	}
	if err != nil {
		return fmt.Errorf("Storage initialization failed: %s", err)
	}
	storageLogger.info("kserve_storage.py:download():243", "Successfully copied %s to %s", uri, outDir)
	storageLogger.info("kserve_storage.py:download():244", "Model downloaded in %v seconds.", time.Since(start).Seconds())
	return nil
}

// downloadFromURI is Storage._download_from_uri: one file named after the URL path, unpacked when it
// is a tar archive; the server must say application/octet-stream (or a tar type for archives).
func downloadFromURI(uri, outDir string) error {
	filename := filepath.Base(strings.SplitN(strings.SplitN(uri, "?", 2)[0], "://", 2)[1])
	if filename == "" || filename == "." || filename == "/" || !strings.Contains(strings.SplitN(uri, "://", 2)[1], "/") {
		return fmt.Errorf("No filename contained in URI: %s", uri)
	}
	client := http.Client{Timeout: 30 * time.Second}
	res, err := client.Get(uri)
	if err != nil {
		storageLogger.error("storage_errors.py:raise_storage_error():42", "HTTP error for %s: %s", uri, err)
		return fmt.Errorf("Failed to connect to HTTP endpoint '%s'. Check network connectivity.", uri)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case 200:
	case 401:
		return fmt.Errorf("HTTP authentication failed for '%s'. Verify credentials.", uri)
	case 403:
		return fmt.Errorf("HTTP access denied for '%s'. Verify permissions.", uri)
	case 404:
		return fmt.Errorf("HTTP resource not found at '%s'.", uri)
	default:
		return fmt.Errorf("HTTP request to '%s' failed with status code %d.", uri, res.StatusCode)
	}
	isTar := strings.HasSuffix(filename, ".tar") || strings.HasSuffix(filename, ".tar.gz") || strings.HasSuffix(filename, ".tgz")
	if !isTar && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/octet-stream") {
		return fmt.Errorf("URI: %s did not respond with 'Content-Type': 'application/octet-stream'", uri)
	}
	if isTar {
		storageLogger.info("kserve_storage.py:_unpack_archive_file():1336", "Unpacking: %s", filepath.Join(outDir, filename))
		return untar(res.Body, strings.HasSuffix(filename, "gz"), outDir)
	}
	out, err := os.Create(filepath.Join(outDir, filename))
	if err != nil {
		return fmt.Errorf("%s", osErrorText(err, filepath.Join(outDir, filename)))
	}
	defer out.Close()
	_, err = io.Copy(out, res.Body)
	return err
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

func copyLocal(src, outDir string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
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
