// Command load drives a running Warden on loopback with a bounded number of
// requests and prints throughput and latency percentiles per route, plus the
// Server-Timing split. Start `warden dev` first, then:
//
//	go run ./scripts/load -token "$ALICE" -requests 5000 -concurrency 8
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "Warden base URL (loopback only)")
	token := flag.String("token", os.Getenv("TOKEN"), "bearer token (a member of a tenant)")
	requests := flag.Int("requests", 3000, "requests per scenario (at most 100000)")
	conc := flag.Int("concurrency", 8, "concurrent clients")
	timeout := flag.Duration("max-time", 2*time.Minute, "stop a scenario after this long")
	flag.Parse()
	if err := checkLoopback(*base); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *token == "" || *requests < 1 || *requests > 100000 || *conc < 1 || *conc > 256 {
		fmt.Fprintln(os.Stderr, "need -token, 1 <= -requests <= 100000 and 1 <= -concurrency <= 256")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}
	id, err := seed(client, *base, *token)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	for _, path := range []string{
		"/api/public",
		fmt.Sprintf("/api/tasks/%d", id),
		"/api/tasks?limit=20",
		"/api/tasks/paginated?page_size=20&search=load",
	} {
		run(client, *base+path, *token, *requests, *conc, *timeout)
	}
}

func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("refusing %s: the load script targets loopback only", base)
	}
	return nil
}

// seed creates 100 tasks so lists have something to return; it answers one id.
func seed(c *http.Client, base, token string) (int64, error) {
	var body bytes.Buffer
	body.WriteString("[")
	for i := 0; i < 100; i++ {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"title":"load task %d"}`, i)
	}
	body.WriteString("]")
	req, _ := http.NewRequest("POST", base+"/api/tasks/bulk", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("bulk create: %d %s", resp.StatusCode, raw)
	}
	var id int64
	if _, err := fmt.Sscanf(string(raw), `[{"id":%d`, &id); err != nil {
		return 0, fmt.Errorf("bulk create: %v in %.80s", err, raw)
	}
	return id, nil
}

func run(c *http.Client, target, token string, n, conc int, maxTime time.Duration) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errors    int
		jwt, az   float64
		db        float64
	)
	jobs := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		jobs <- struct{}{}
	}
	close(jobs)
	deadline := time.Now().Add(maxTime)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if time.Now().After(deadline) {
					return
				}
				req, _ := http.NewRequest("GET", target, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := c.Do(req)
				d := time.Since(t0)
				var j, a, b float64
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					fmt.Sscanf(resp.Header.Get("Server-Timing"), "jwt;dur=%f, authz;dur=%f, db;dur=%f", &j, &a, &b)
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				latencies = append(latencies, d)
				jwt, az, db = jwt+j, az+a, db+b
				if !ok {
					errors++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	k := float64(len(latencies))
	fmt.Printf("%-48s %6d req %8.0f req/s  p50 %7s  p95 %7s  p99 %7s  errors %d  server split jwt %.2fms authz %.2fms db %.2fms\n",
		target, len(latencies), k/elapsed.Seconds(), pct(.5).Round(time.Microsecond), pct(.95).Round(time.Microsecond),
		pct(.99).Round(time.Microsecond), errors, jwt/k, az/k, db/k)
}
