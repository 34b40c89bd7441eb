package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/warden-authz/warden/policies"
)

// runPolicy implements `warden policy eval --input FILE [--action A] [--policy-dir DIR]`:
// it prints the decision and its reasons for an input document.
func runPolicy(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "eval" {
		return errors.New("usage: warden policy eval --input FILE [--action A] [--policy-dir DIR]")
	}
	fs := flag.NewFlagSet("policy eval", flag.ContinueOnError)
	input := fs.String("input", "", "input document (JSON file, - for stdin)")
	action := fs.String("action", "", "override input.action")
	dir := fs.String("policy-dir", "", "evaluate the Rego in this directory instead of the embedded policy")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *input == "" {
		return errors.New("--input is required")
	}
	var raw []byte
	var err error
	if *input == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(*input)
	}
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: not a JSON object: %w", *input, err)
	}
	if *action != "" {
		doc["action"] = *action
	}
	engine, err := policies.New(ctx, policies.Options{Dir: *dir})
	if err != nil {
		return err
	}
	defer engine.Close()
	d, err := engine.EvalDocument(ctx, doc)
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(d, "", "  ")
	fmt.Fprintln(stdout, string(out))
	return nil
}
