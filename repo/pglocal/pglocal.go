package pglocal

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// Superuser is the role initdb creates; connections use it without a password
// (trust authentication, loopback and the socket inside the data directory only).
const Superuser = "warden"

// confFile holds the settings this package owns; postgresql.conf includes it,
// so a server started by hand with pg_ctl behaves the same.
const confFile = "warden.conf"

// logFile receives the server's output, inside the data directory.
const logFile = "postgres.log"

// maxSocketPath is the room in sockaddr_un.sun_path (108 bytes with the NUL).
const maxSocketPath = 107

// readyTimeout bounds how long a starting server may take to accept connections.
const readyTimeout = 60 * time.Second

// Options configures StartWith.
type Options struct {
	// Dir is the data directory; it is created and initialised when missing.
	Dir string
	// Logger receives start and stop events; nil discards them.
	Logger *slog.Logger
	// Ephemeral is for tests: durability is off (fsync, full page writes) and the
	// server runs as a child of this process that the kernel stops when the
	// process dies, so a test binary killed by a timeout leaves no server behind.
	Ephemeral bool
	// BinDir overrides where initdb, pg_ctl and postgres are looked up.
	// Only that directory is searched when set.
	BinDir string
}

// Server is a running cluster.
type Server struct {
	dir    string
	bin    string
	port   int
	cred   *syscall.Credential // nil unless started as root
	log    *slog.Logger
	reused bool

	child  *exec.Cmd
	exited chan struct{} // closed when child exits

	stopOnce sync.Once
	stopErr  error
}

// Start starts the cluster in dir, or reuses it if a server already runs there.
func Start(ctx context.Context, dir string, log *slog.Logger) (*Server, error) {
	return StartWith(ctx, Options{Dir: dir, Logger: log})
}

// StartWith is Start with options.
func StartWith(ctx context.Context, opts Options) (*Server, error) {
	begin := time.Now()
	if opts.Dir == "" {
		return nil, errors.New("pglocal: no data directory")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{dir: dir, log: log}

	initialised := fileExists(filepath.Join(dir, "PG_VERSION"))
	wantVersion := ""
	if initialised {
		b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
		if err != nil {
			return nil, fmt.Errorf("pglocal: %w", err)
		}
		wantVersion = strings.TrimSpace(string(b))
	}
	if s.bin, err = findBinDir(opts.BinDir, wantVersion); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if s.cred, err = runAs(dir, initialised); err != nil {
			return nil, err
		}
	}
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	if !initialised {
		if err := s.initdb(ctx, opts.Ephemeral); err != nil {
			return nil, err
		}
	}

	if port, ok := s.running(ctx); ok {
		s.port, s.reused = port, true
		if err := s.waitReady(ctx); err != nil {
			return nil, err
		}
		log.Info("postgres reused", "dir", dir, "port", port)
		return s, nil
	}

	// A free port can be taken by another server (a parallel test binary)
	// between choosing it and binding it: then start again on another one.
	for attempt := 1; ; attempt++ {
		if s.port, err = s.choosePort(); err != nil {
			return nil, err
		}
		if err := s.writeConf(opts.Ephemeral); err != nil {
			return nil, err
		}
		if opts.Ephemeral {
			err = s.startChild()
		} else {
			err = s.startDaemon(ctx)
		}
		if err == nil {
			err = s.waitReady(ctx)
		}
		if err == nil {
			break
		}
		_ = s.Stop()
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			return nil, err
		}
		log.Warn("postgres port taken by another server, retrying", "port", s.port)
	}
	log.Info("postgres started", "dir", dir, "port", s.port, "bin", s.bin,
		"elapsed", time.Since(begin).Round(time.Millisecond))
	return s, nil
}

// URL returns the connection URL of database dbname on this server.
func (s *Server) URL(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the TCP port the server listens on (127.0.0.1 only).
func (s *Server) Port() int { return s.port }

// Dir is the absolute data directory.
func (s *Server) Dir() string { return s.dir }

// Reused reports whether Start found the server already running.
func (s *Server) Reused() bool { return s.reused }

// CreateDatabase creates database name; one that already exists is left as it is.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	db, err := s.open("postgres")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	if pq.As(err, pqerror.DuplicateDatabase) != nil {
		return nil
	} else if err != nil {
		return fmt.Errorf("pglocal: create database %q: %w", name, err)
	}
	return nil
}

// Stop shuts the server down (fast mode: open transactions are rolled back).
// A server Start found running is stopped as well: it belongs to the directory.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.child != nil {
			s.stopErr = s.stopChild()
		} else {
			s.stopErr = s.stopDaemon()
		}
		if s.stopErr == nil {
			s.log.Info("postgres stopped", "dir", s.dir)
		}
	})
	return s.stopErr
}

func (s *Server) open(dbname string) (*sql.DB, error) {
	c, err := pq.NewConnector(s.URL(dbname))
	if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	return sql.OpenDB(c), nil
}

// findBinDir returns the directory holding initdb, pg_ctl and postgres: the
// override, then PATH, then the highest /usr/lib/postgresql/*/bin. With a
// cluster already initialised, only binaries of its major version will do.
func findBinDir(override, version string) (string, error) {
	var candidates []string
	if override != "" {
		// An explicit choice is not second-guessed by a silent fall-back.
		candidates = []string{override}
	} else {
		if p, err := exec.LookPath("initdb"); err == nil {
			candidates = append(candidates, filepath.Dir(p))
		}
		installed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(installed, func(i, j int) bool {
			return majorOf(installed[i]) > majorOf(installed[j])
		})
		candidates = append(candidates, installed...)
	}

	found := false
	for _, dir := range candidates {
		if !executable(filepath.Join(dir, "initdb")) || !executable(filepath.Join(dir, "pg_ctl")) ||
			!executable(filepath.Join(dir, "postgres")) {
			continue
		}
		found = true
		if version == "" || binVersion(dir) == version {
			return dir, nil
		}
	}
	if found {
		return "", fmt.Errorf("pglocal: the data directory is PostgreSQL %s and no binaries of that version were found (install postgresql-%s or remove the directory)", version, version)
	}
	return "", errors.New("pglocal: initdb not found: install postgresql (initdb, pg_ctl and postgres must be on PATH or under /usr/lib/postgresql/*/bin)")
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// binVersion returns the major version of the binaries in dir ("15").
func binVersion(dir string) string {
	if n := majorOf(dir); n > 0 {
		return strconv.Itoa(n)
	}
	out, err := exec.Command(filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return ""
	}
	// "postgres (PostgreSQL) 15.8 (Debian 15.8-1)"
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		return ""
	}
	major, _, _ := strings.Cut(fields[2], ".")
	return major
}

// runAs picks the unprivileged user the server runs as, since PostgreSQL
// refuses to run as root: the owner of an existing cluster, else postgres,
// else nobody.
func runAs(dir string, initialised bool) (*syscall.Credential, error) {
	if initialised {
		if fi, err := os.Stat(dir); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
				return &syscall.Credential{Uid: st.Uid, Gid: st.Gid, Groups: []uint32{}}, nil
			}
		}
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, errors.New("pglocal: running as root and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// prepareDir creates the data directory and, as root, hands it to the server's
// user and makes every parent traversable by it.
func (s *Server) prepareDir() error {
	if err := os.MkdirAll(filepath.Dir(s.dir), 0o755); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	if err := os.Mkdir(s.dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pglocal: %w", err)
	}
	if s.cred == nil {
		return nil
	}
	uid, gid := int(s.cred.Uid), int(s.cred.Gid)
	err := filepath.WalkDir(s.dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("pglocal: hand %s to uid %d: %w", s.dir, uid, err)
	}
	for p := filepath.Dir(s.dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pglocal: %w", err)
		}
		if !traversable(fi, s.cred) {
			mode := fi.Mode().Perm() | 0o001
			if err := os.Chmod(p, mode); err != nil {
				return fmt.Errorf("pglocal: make %s traversable for uid %d: %w", p, uid, err)
			}
			s.log.Warn("made a parent of the data directory traversable for the postgres user",
				"dir", p, "mode", mode.String())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func traversable(fi fs.FileInfo, cred *syscall.Credential) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	mode := fi.Mode().Perm()
	switch {
	case st.Uid == cred.Uid:
		return mode&0o100 != 0
	case st.Gid == cred.Gid:
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}

// command builds a command for a PostgreSQL binary, run as the server's user.
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return s.setup(exec.CommandContext(ctx, filepath.Join(s.bin, name), args...))
}

// detached builds a command that no caller's context cancels.
func (s *Server) detached(name string, args ...string) *exec.Cmd {
	return s.setup(exec.Command(filepath.Join(s.bin, name), args...))
}

func (s *Server) setup(cmd *exec.Cmd) *exec.Cmd {
	// The caller's working directory may be unreadable for the server's user.
	cmd.Dir = "/"
	env := []string{"LC_ALL=C"}
	for _, kv := range os.Environ() {
		// PG* variables (PGDATA, PGPORT, ...) would override what this package decides.
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_ALL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	// A session of its own: a Ctrl-C meant for the caller's terminal must not
	// reach the server behind the caller's back; the caller stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: s.cred}
	return cmd
}

func (s *Server) initdb(ctx context.Context, ephemeral bool) error {
	begin := time.Now()
	args := []string{"-D", s.dir, "--auth=trust", "-U", Superuser, "--encoding=UTF8", "--locale=C"}
	if ctype := utf8CType(ctx); ctype != "" {
		// C sorts and compares bytes (fast, stable), but its character classes
		// are ASCII only: ILIKE 'ä' would not match 'Ä'.
		args = append(args, "--lc-ctype="+ctype)
	}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	out, err := s.command(ctx, "initdb", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pglocal: initdb %s: %w\n%s", s.dir, err, tail(out, 20))
	}
	s.log.Info("postgres cluster initialised", "dir", s.dir, "elapsed", time.Since(begin).Round(time.Millisecond))
	return nil
}

// utf8CType returns the name of the system's C.UTF-8 locale, or "" if it has none.
func utf8CType(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "locale", "-a").Output()
	if err != nil {
		return ""
	}
	for _, name := range strings.Fields(string(out)) {
		switch name {
		case "C.UTF-8", "C.utf8":
			return name
		}
	}
	return ""
}

// running reports whether a server runs from the directory, and its port.
func (s *Server) running(ctx context.Context) (int, bool) {
	if err := s.command(ctx, "pg_ctl", "status", "-D", s.dir).Run(); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	// Line 4 of postmaster.pid is the port.
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0, false
	}
	return port, true
}

// choosePort reuses the port of the last start when it is free, so URLs a
// developer copied keep working, and otherwise asks the kernel for a free one.
func (s *Server) choosePort() (int, error) {
	if port := s.confPort(); port > 0 && portFree(port) {
		return port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pglocal: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) confPort() int {
	f, err := os.Open(filepath.Join(s.dir, confFile))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == "port" {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func (s *Server) writeConf(ephemeral bool) error {
	socketDir := s.dir
	if len(s.dir)+len("/.s.PGSQL.65535") > maxSocketPath {
		// Too long for a socket address: TCP on loopback is enough.
		socketDir = ""
	}
	var b strings.Builder
	b.WriteString("# Managed by warden (repo/pglocal); rewritten at every start.\n")
	fmt.Fprintf(&b, "listen_addresses = '127.0.0.1'\nport = %d\n", s.port)
	fmt.Fprintf(&b, "unix_socket_directories = '%s'\n", strings.ReplaceAll(socketDir, "'", "''"))
	b.WriteString("max_connections = 200\n")
	if ephemeral {
		b.WriteString("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	path := filepath.Join(s.dir, confFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	if err := s.chown(path); err != nil {
		return err
	}

	main := filepath.Join(s.dir, "postgresql.conf")
	content, err := os.ReadFile(main)
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	include := "include_if_exists = '" + confFile + "'"
	if bytes.Contains(content, []byte(include)) {
		return nil
	}
	f, err := os.OpenFile(main, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	if _, err := fmt.Fprintf(f, "\n%s\n", include); err != nil {
		f.Close()
		return fmt.Errorf("pglocal: %w", err)
	}
	return f.Close()
}

func (s *Server) chown(path string) error {
	if s.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return nil
}

func (s *Server) startDaemon(ctx context.Context) error {
	logPath := filepath.Join(s.dir, logFile)
	out, err := s.command(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", s.dir, "-l", logPath).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pglocal: pg_ctl start: %w\n%s\n%s", err, tail(out, 10), s.logTail())
	}
	return nil
}

func (s *Server) startChild() error {
	logPath := filepath.Join(s.dir, logFile)
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	defer lf.Close()
	if err := s.chown(logPath); err != nil {
		return err
	}
	// Detached: the server outlives the start-up call.
	cmd := s.detached("postgres", "-D", s.dir)
	cmd.Stdout, cmd.Stderr = lf, lf
	// SIGQUIT is PostgreSQL's immediate shutdown.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pglocal: start postgres: %w", err)
	}
	s.child = cmd
	s.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	return nil
}

// waitReady polls until the server accepts connections.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	db, err := s.open("postgres")
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		if err == nil {
			err = s.checkOwnServer(pctx, db)
			pcancel()
			if err == nil || errors.Is(err, errPortTaken) {
				return err
			}
		}
		pcancel()
		select {
		case <-s.exited: // nil, so never ready, unless the server is our child
			tail := s.logTail()
			if strings.Contains(tail, "already in use") {
				return fmt.Errorf("%w: postgres exited during start-up\n%s", errPortTaken, tail)
			}
			return fmt.Errorf("pglocal: postgres exited during start-up\n%s", tail)
		case <-ctx.Done():
			return fmt.Errorf("pglocal: postgres on port %d not ready: %w (last error: %v)\n%s", s.port, ctx.Err(), err, s.logTail())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// errPortTaken says the server answering on our port is not the one in our directory.
var errPortTaken = errors.New("pglocal: another server answers on the chosen port")

// checkOwnServer makes sure the server that answered runs from our directory.
func (s *Server) checkOwnServer(ctx context.Context, db *sql.DB) error {
	var dataDir string
	if err := db.QueryRowContext(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		return err
	}
	want, err1 := filepath.EvalSymlinks(s.dir)
	got, err2 := filepath.EvalSymlinks(dataDir)
	if err1 != nil || err2 != nil || want != got {
		return fmt.Errorf("%w (port %d serves %s)", errPortTaken, s.port, dataDir)
	}
	return nil
}

func (s *Server) stopChild() error {
	// SIGINT is PostgreSQL's fast shutdown.
	if err := s.child.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pglocal: stop postgres: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
	}
	_ = s.child.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
		_ = s.child.Process.Kill()
		return errors.New("pglocal: postgres did not stop within 40s; killed")
	}
}

func (s *Server) stopDaemon() error {
	if err := s.detached("pg_ctl", "status", "-D", s.dir).Run(); err != nil {
		// Already stopped, by hand or by the machine.
		return nil
	}
	out, err := s.detached("pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", s.dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pglocal: pg_ctl stop: %w\n%s", err, tail(out, 10))
	}
	return nil
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, logFile))
	if err != nil {
		return ""
	}
	return tail(b, 20)
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}
