package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sklearnServer stands in for `python -m sklearnserver` of kserve/sklearnserver: it loads the one
// model file under --model_dir exactly where and how the real server looks for it, and fails with
// the real server's errors, then serves KServe's v1/v2 REST endpoints on --http_port.
func sklearnServer(args []string) int {
	name := argValue(args, "model_name", "model")
	dir := argValue(args, "model_dir", "")
	port := argValue(args, "http_port", "8080")
	log := pyLogger{name: "kserve"}
	if dir == "" {
		fmt.Fprintln(os.Stderr, "usage: __main__.py [-h] --model_dir MODEL_DIR\n__main__.py: error: the following arguments are required: --model_dir")
		return 2
	}
	// The real server spends seconds importing kserve, sklearn and numpy before model.load() looks at
	// --model_dir; a stand-in that looked at once would lose nearly every race with the modelcar's link.
	time.Sleep(importDelay())
	ready, exc := loadModel(dir)
	if exc != nil {
		traceback(loadFrames, exc)
		return 1
	}
	if !ready {
		// ModelMissingError is caught: the server starts without the model (multi-model serving).
		log.error("__main__.py:<module>():45", "failed to locate model file for model %s under dir %s,trying loading from model repository.", name, dir)
	}
	http.HandleFunc("/", modelEndpoints(name, ready))
	log.info("model_server.py:start():354", "Starting uvicorn with 1 workers")
	log.info("server.py:_serve():83", "Uvicorn running on http://0.0.0.0:%s (Press CTRL+C to quit)", port)
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		traceback(nil, &pyException{[]string{`  File "/prod_venv/lib/python3.11/site-packages/kserve/model_server.py", line 354, in start`}, "OSError: " + err.Error()})
		return 1
	}
	return 0
}

var loadFrames = []string{
	`  File "<frozen runpy>", line 198, in _run_module_as_main`,
	`  File "<frozen runpy>", line 88, in _run_code`,
	`  File "/sklearnserver/sklearnserver/__main__.py", line 36, in <module>`,
	`    model.load()`,
}

// loadModel follows SKLearnModel.load: Storage.download(model_dir) (a no-op for an existing local
// path, "Cannot recognize storage type" otherwise), os.listdir, one *.joblib/*.pkl/*.pickle file.
// It returns ready=false for ModelMissingError and the exception for every uncaught one.
func loadModel(dir string) (bool, *pyException) {
	in := func(line int, code string, more ...string) []string {
		return append([]string{fmt.Sprintf(`  File "/sklearnserver/sklearnserver/model.py", line %d, in load`, line), "    " + code}, more...)
	}
	storageLog("INFO", "download():168", "Copying contents of %s to local", dir)
	if !isLocal(dir) {
		exc := unrecognizedStorage(dir)
		exc.frames = in(39, "model_path = pathlib.Path(Storage.download(self.model_dir))", exc.frames...)
		return false, exc
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, &pyException{in(41, "for file in os.listdir(model_path):"), osErrorText(err, dir)}
	}
	var models []string
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		info, err := os.Stat(path) // os.path.isfile follows links
		if err == nil && info.Mode().IsRegular() && hasModelExtension(e.Name()) {
			models = append(models, path)
		}
	}
	switch {
	case len(models) == 0:
		return false, nil
	case len(models) > 1:
		return false, &pyException{in(48, "raise RuntimeError("), fmt.Sprintf("RuntimeError: More than one model file is detected, Only one is allowed within model_dir: %s", pyPathList(models))}
	}
	if _, err := os.ReadFile(models[0]); err != nil { // joblib.load reads the whole file
		return false, &pyException{in(52, "self._model = joblib.load(model_files[0])"), osErrorText(err, models[0])}
	}
	return true, nil
}

func hasModelExtension(name string) bool {
	for _, ext := range []string{".joblib", ".pkl", ".pickle"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func pyPathList(paths []string) string {
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = fmt.Sprintf("PosixPath('%s')", p)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// modelEndpoints answers the routes of KServe's model server that probes and users call.
func modelEndpoints(name string, loaded bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reply := func(status int, body interface{}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(body)
		}
		missing := map[string]string{"error": fmt.Sprintf("Model with name %s does not exist.", name)}
		switch path := r.URL.Path; {
		case path == "/":
			reply(200, map[string]string{"status": "alive"})
		case path == "/v2/health/live":
			reply(200, map[string]bool{"live": true})
		case path == "/v2/health/ready": // ready when every registered model is: true with none
			reply(200, map[string]bool{"ready": true})
		case path == "/v1/models":
			models := []string{}
			if loaded {
				models = append(models, name)
			}
			reply(200, map[string][]string{"models": models})
		case path == "/v1/models/"+name || path == "/v2/models/"+name+"/ready":
			if !loaded {
				reply(404, missing)
				return
			}
			reply(200, map[string]interface{}{"name": name, "ready": true})
		case path == "/v1/models/"+name+":predict" && r.Method == http.MethodPost:
			if !loaded {
				reply(404, missing)
				return
			}
			var req struct {
				Instances []json.RawMessage `json:"instances"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				reply(400, map[string]string{"error": "Unrecognized request format: " + err.Error()})
				return
			}
			predictions := make([]int, len(req.Instances))
			for i := range predictions {
				predictions[i] = 1
			}
			reply(200, map[string][]int{"predictions": predictions})
		default:
			reply(404, map[string]string{"detail": "Not Found"})
		}
	}
}

// importDelay is the time the real server's Python imports take before it loads the model: 2 s by
// default (the order of kserve + sklearn imports), SKLEARNSERVER_IMPORT_SECONDS to change it.
func importDelay() time.Duration {
	seconds, err := strconv.ParseFloat(os.Getenv("SKLEARNSERVER_IMPORT_SECONDS"), 64)
	if err != nil || seconds < 0 {
		seconds = 2
	}
	return time.Duration(seconds * float64(time.Second))
}
