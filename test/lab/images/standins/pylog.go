package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// pyLogger prints lines in KServe's Python logging format:
// "%(asctime)s.%(msecs)03d %(process)s %(name)s %(levelname)s [%(filename)s:%(funcName)s():%(lineno)s] %(message)s".
type pyLogger struct{ name string }

func (l pyLogger) log(level, where, format string, a ...interface{}) {
	now := time.Now()
	fmt.Fprintf(os.Stderr, "%s.%03d %d %s %s [%s] %s\n", now.Format("2006-01-02 15:04:05"), now.Nanosecond()/1e6,
		os.Getpid(), l.name, level, where, fmt.Sprintf(format, a...))
}

func (l pyLogger) info(where, format string, a ...interface{})  { l.log("INFO", where, format, a...) }
func (l pyLogger) error(where, format string, a ...interface{}) { l.log("ERROR", where, format, a...) }

// pyException is a Python exception: the traceback frames that raised it and "Type: message".
type pyException struct {
	frames []string
	text   string
}

// message is str(exception): the text without its type.
func (e *pyException) message() string {
	if i := strings.Index(e.text, ": "); i >= 0 {
		return e.text[i+2:]
	}
	return e.text
}

// traceback prints what Python prints for an uncaught exception, `outer` being the calling frames.
func traceback(outer []string, e *pyException) {
	fmt.Fprintln(os.Stderr, "Traceback (most recent call last):")
	for _, f := range append(append([]string{}, outer...), e.frames...) {
		fmt.Fprintln(os.Stderr, f)
	}
	fmt.Fprintln(os.Stderr, e.text)
}

// osErrorText is how Python renders an OSError from a failed system call on path.
func osErrorText(err error, path string) string {
	switch {
	case os.IsPermission(err):
		return fmt.Sprintf("PermissionError: [Errno 13] Permission denied: '%s'", path)
	case os.IsNotExist(err):
		return fmt.Sprintf("FileNotFoundError: [Errno 2] No such file or directory: '%s'", path)
	default:
		return fmt.Sprintf("OSError: %s", strings.TrimPrefix(err.Error(), "open "+path+": "))
	}
}

// argValue reads `--name=value` or `--name value`, as argparse does; unknown flags are ignored
// (KServe's servers use parse_known_args).
func argValue(args []string, name, fallback string) string {
	for i, a := range args {
		if strings.HasPrefix(a, "--"+name+"=") {
			return strings.TrimPrefix(a, "--"+name+"=")
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return fallback
}
