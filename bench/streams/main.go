// Command streams holds N server-sent-event streams of the visitor widget open and reports,
// for each stream, when the figure it is told to wait for arrived. bench/counter_streams.py
// builds and drives it: a Python asyncio client would itself be the bottleneck at 10,000
// streams on two CPUs, and then it would be the client that is measured, not the counter.
//
//	streams -url http://127.0.0.1:8080/api/stats/stream -n 10000
//
// Stdout, one JSON object a line: first {"connected": c, "failed": f, "errors": {...}} once
// every stream got its first "stats" event or failed. Then, per stdin command:
//
//	wait T   → {"armed": T}, then, when every open stream saw "total" ≥ T (or 30 s passed),
//	           {"arrivals": [unix ns per stream, 0 if never], "closed": k}
//	quit     → every stream is closed and the program exits
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// round is one change every stream waits for: the first event whose total reaches target.
type round struct {
	target    int64
	arrivals  []int64 // unix ns, written once per stream with atomic stores
	remaining atomic.Int64
	done      chan struct{}
}

type client struct {
	address, path, host string
	current             atomic.Pointer[round]
	open, closed        atomic.Int64
	connsMu             sync.Mutex
	conns               []net.Conn
}

func main() {
	target := flag.String("url", "", "the stream's URL")
	n := flag.Int("n", 1000, "streams to open")
	parallel := flag.Int("parallel", 256, "connections being set up at once")
	flag.Parse()
	parsed, err := url.Parse(*target)
	if err != nil || parsed.Host == "" {
		fmt.Fprintln(os.Stderr, "streams: -url must be an http URL")
		os.Exit(2)
	}
	c := &client{address: parsed.Host, path: parsed.RequestURI(), host: parsed.Host}
	c.conns = make([]net.Conn, *n)
	c.connect(*n, *parallel)
	c.serve(*n)
}

// connect opens n streams, `parallel` at a time, and reports once each one got its first
// event or failed.
func (c *client) connect(n, parallel int) {
	var ready sync.WaitGroup
	var mu sync.Mutex
	errors := map[string]int{}
	slots := make(chan struct{}, parallel)
	for i := 0; i < n; i++ {
		ready.Add(1)
		slots <- struct{}{}
		go func(i int) {
			first := make(chan error, 1)
			go c.stream(i, first)
			if err := <-first; err != nil {
				mu.Lock()
				errors[kind(err)]++
				mu.Unlock()
			}
			<-slots
			ready.Done()
		}(i)
	}
	ready.Wait()
	failed := 0
	for _, count := range errors {
		failed += count
	}
	emit(map[string]any{"connected": n - failed, "failed": failed, "errors": errors})
}

// kind shortens an error to what it says, without the addresses that make each one unique.
func kind(err error) string {
	text := err.Error()
	if i := strings.LastIndex(text, ": "); i >= 0 {
		return text[i+2:]
	}
	return text
}

// stream runs one connection: first reports its first event (or the failure), then watches
// every event for the current round's target until the connection ends.
func (c *client) stream(i int, first chan<- error) {
	conn, err := net.DialTimeout("tcp", c.address, 30*time.Second)
	if err != nil {
		first <- err
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	request := "GET " + c.path + " HTTP/1.1\r\nHost: " + c.host +
		"\r\nAccept: text/event-stream\r\nUser-Agent: bench-streams\r\n\r\n"
	if _, err := conn.Write([]byte(request)); err != nil {
		first <- err
		return
	}
	response, err := http.ReadResponse(bufio.NewReaderSize(conn, 1024), nil)
	if err != nil {
		first <- err
		return
	}
	if response.StatusCode != http.StatusOK {
		first <- fmt.Errorf("status: %d", response.StatusCode)
		return
	}
	events := bufio.NewReaderSize(response.Body, 2048)
	reported := false
	for {
		total, err := nextTotal(events)
		if err != nil {
			if !reported {
				first <- err
			} else {
				c.open.Add(-1)
				c.closed.Add(1)
			}
			return
		}
		now := time.Now().UnixNano()
		if !reported {
			reported = true
			_ = conn.SetDeadline(time.Time{})
			c.connsMu.Lock()
			c.conns[i] = conn
			c.connsMu.Unlock()
			c.open.Add(1)
			first <- nil
		}
		if r := c.current.Load(); r != nil && total >= r.target &&
			atomic.CompareAndSwapInt64(&r.arrivals[i], 0, now) {
			if r.remaining.Add(-1) == 0 {
				close(r.done)
			}
		}
	}
}

// nextTotal reads lines until the data line of a "stats" event and returns its total.
func nextTotal(events *bufio.Reader) (int64, error) {
	name := ""
	for {
		line, err := events.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.HasPrefix(line, []byte("event:")):
			name = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")) && name == "stats":
			var live struct {
				Total int64 `json:"total"`
			}
			if err := json.Unmarshal(line[len("data:"):], &live); err != nil {
				return 0, err
			}
			return live.Total, nil
		}
	}
}

// serve answers the driver's commands on stdin until "quit" or the end of stdin.
func (c *client) serve(n int) {
	commands := bufio.NewScanner(os.Stdin)
	for commands.Scan() {
		fields := strings.Fields(commands.Text())
		if len(fields) == 2 && fields[0] == "wait" {
			target, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				emit(map[string]any{"error": err.Error()})
				continue
			}
			c.await(n, target)
		} else if len(fields) == 1 && fields[0] == "quit" {
			break
		}
	}
	c.connsMu.Lock()
	for _, conn := range c.conns {
		if conn != nil {
			conn.Close()
		}
	}
	c.connsMu.Unlock()
}

// await arms a round, tells the driver so (it then makes the change), and reports the
// arrivals once every open stream saw the target or 30 s passed.
func (c *client) await(n int, target int64) {
	r := &round{target: target, arrivals: make([]int64, n), done: make(chan struct{})}
	r.remaining.Store(c.open.Load())
	if r.remaining.Load() == 0 {
		close(r.done)
	}
	c.current.Store(r)
	emit(map[string]any{"armed": target})
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
	}
	arrivals := make([]int64, n)
	for i := range arrivals {
		arrivals[i] = atomic.LoadInt64(&r.arrivals[i])
	}
	emit(map[string]any{"arrivals": arrivals, "closed": c.closed.Load()})
}

var out = bufio.NewWriter(os.Stdout)

func emit(value any) {
	line, _ := json.Marshal(value)
	out.Write(line)
	out.WriteString("\n")
	out.Flush()
}
