package policies

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watch reloads the policy from opts.Dir after changes settle. Editors write
// files in several steps (truncate, write, rename), hence the debounce.
func (e *Engine) watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	if err := addDirs(w, e.opts.Dir); err != nil {
		w.Close()
		return err
	}
	debounce := e.opts.ReloadDebounce
	if debounce <= 0 {
		debounce = defaultReloadDebounce
	}
	// The watcher outlives the start-up context; Close ends it.
	ctx, e.stop = context.WithCancel(context.WithoutCancel(ctx))
	e.stopped = make(chan struct{})
	go func() {
		defer close(e.stopped)
		defer w.Close()
		timer := time.NewTimer(debounce)
		timer.Stop()
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Has(fsnotify.Create) {
					if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
						if err := addDirs(w, ev.Name); err != nil {
							e.log.Warn("policy watch", "dir", ev.Name, "err", err)
						}
					}
				}
				if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) {
					continue
				}
				timer.Reset(debounce)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				e.log.Warn("policy watch", "err", err)
			case <-timer.C:
				e.reload(ctx)
			}
		}
	}()
	return nil
}

// reload compiles the directory again and swaps it in only if it compiles;
// otherwise the last good policy keeps serving.
func (e *Engine) reload(ctx context.Context) {
	old := e.state.Load()
	st, err := load(ctx, os.DirFS(e.opts.Dir))
	if err != nil {
		e.log.Error("policy reload refused; keeping the last good policy",
			"revision", old.revision, "err", err)
		return
	}
	if st.revision == old.revision {
		return
	}
	// A deploy that moves data.json aside before copying the new one in
	// would otherwise serve a policy without role data in between.
	for _, f := range old.dataFiles {
		if !slices.Contains(st.dataFiles, f) {
			e.log.Error("policy reload refused; keeping the last good policy",
				"revision", old.revision, "err", "file "+f+" disappeared (restart to remove it on purpose)")
			return
		}
	}
	e.state.Store(st)
	e.cache.clear()
	e.log.Info("policy reloaded", "revision", st.revision, "previous", old.revision)
}

func addDirs(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		return w.Add(p)
	})
}
