// Command ferretdb-launcher runs an embedded FerretDB (SQLite backend) for
// Fieldbook's development server and test suite. It prints one JSON line with
// the MongoDB URI once listening, and stops when its standard input closes
// (so it never outlives the Node.js process that started it) or on a signal.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	dataDir := flag.String("data", "", "directory that holds the SQLite files (created if missing)")
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on")
	watchStdin := flag.Bool("watch-stdin", true, "exit when standard input reaches EOF")
	// synchronous(normal): with WAL, a commit no longer waits for an fsync; the database stays
	// consistent and survives a crash of this process (the supervisor restarts it), and only an
	// OS crash or power loss can drop the last commits. _txlock=immediate: a write transaction
	// takes SQLite's write lock when it begins, so concurrent writers queue on the busy handler
	// instead of failing with SQLITE_BUSY when a deferred transaction cannot upgrade its lock.
	// Together about 2.8 times the write throughput at 8 concurrent clients here.
	sqliteParams := flag.String("sqlite-params", "_pragma=synchronous(normal)&_txlock=immediate", "query parameters added to the SQLite URL")
	// For benchmarks: where the embedded database's own CPU goes (go tool pprof <file>).
	cpuProfile := flag.String("cpu-profile", os.Getenv("FERRETDB_CPU_PROFILE"), "write a CPU profile to this file until exit")
	flag.Parse()

	// Garbage collection was about a tenth of the database's CPU under load at Go's default (100):
	// its heap here is tens of megabytes, so letting it grow 4× between collections is cheap.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	if *cpuProfile != "" {
		out, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatalf("ferretdb-launcher: %v", err)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			log.Fatalf("ferretdb-launcher: %v", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = out.Close()
		}()
	}

	if *dataDir == "" {
		log.Fatal("ferretdb-launcher: -data is required")
	}
	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatalf("ferretdb-launcher: %v", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		log.Fatalf("ferretdb-launcher: cannot create data directory: %v", err)
	}
	if !strings.HasSuffix(abs, "/") {
		abs += "/"
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + sqliteQuery(*sqliteParams),
	})
	if err != nil {
		log.Fatalf("ferretdb-launcher: %v", err)
	}

	done := make(chan struct{})
	go func() {
		f.Run(ctx)
		close(done)
	}()

	// MongoDBURI is only meaningful once the listener is bound; poll briefly.
	deadline := time.Now().Add(30 * time.Second)
	for {
		uri := f.MongoDBURI()
		if uri != "" && !strings.Contains(uri, ":0/") {
			out, _ := json.Marshal(map[string]string{"uri": uri})
			fmt.Println(string(out))
			break
		}
		if time.Now().After(deadline) {
			log.Fatal("ferretdb-launcher: listener did not start within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-done
}

func sqliteQuery(params string) string {
	if params == "" {
		return ""
	}
	return "?" + params
}
