package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// world is a fake cluster in a directory (env TF_STANDIN_WORLD): one JSON file per managed
// object, <dir>/<resource type>/<namespace or _>/<name>.json, holding what a real provider
// would have sent to the API server. Tests read it to see what pods would see (Secrets'
// data, including write-only values that never reach the state) and delete files to
// simulate objects removed out of band (`kubectl delete`).
type world struct{ dir string }

// worldFromEnv is nil without TF_STANDIN_WORLD: the stand-in then keeps no world at all.
func worldFromEnv() *world {
	if dir := os.Getenv("TF_STANDIN_WORLD"); dir != "" {
		return &world{dir: dir}
	}
	return nil
}

// clusterDataKey is the extra field of a kubernetes_secret_v1 file: the Secret's data as the
// cluster holds it.
const clusterDataKey = "cluster_data"

// stringAt is the string at path in v, if there is a known, non-null one.
func stringAt(v tftypes.Value, path *tftypes.AttributePath) (string, bool) {
	found, _, err := tftypes.WalkAttributePath(v, path)
	if err != nil {
		return "", false
	}
	fv, ok := found.(tftypes.Value)
	if !ok || !fv.IsKnown() || fv.IsNull() || !fv.Type().Equal(tftypes.String) {
		return "", false
	}
	var s string
	if err := fv.As(&s); err != nil {
		return "", false
	}
	return s, true
}

// objectName is where an object lives: metadata[0].name/namespace (kubernetes_*), else
// top-level name/namespace (helm_release and others). ok is false for types with no name.
func objectName(v tftypes.Value) (namespace, name string, ok bool) {
	if v.IsNull() || !v.IsKnown() {
		return "", "", false
	}
	meta := tftypes.NewAttributePath().WithAttributeName("metadata").WithElementKeyInt(0)
	if name, ok = stringAt(v, meta.WithAttributeName("name")); ok {
		namespace, _ = stringAt(v, meta.WithAttributeName("namespace"))
	} else if name, ok = stringAt(v, tftypes.NewAttributePath().WithAttributeName("name")); ok {
		namespace, _ = stringAt(v, tftypes.NewAttributePath().WithAttributeName("namespace"))
	}
	if namespace == "" {
		namespace = "_"
	}
	return namespace, name, ok
}

func (w *world) file(typeName, namespace, name string) (string, error) {
	for _, part := range []string{namespace, name} {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, `/\`) {
			return "", fmt.Errorf("%s: %q cannot name a file of the world", typeName, part)
		}
	}
	return filepath.Join(w.dir, typeName, namespace, name+".json"), nil
}

// fileOf is the object's file, or "" when the type has no name/namespace or is not a
// Kubernetes object (docker images, kind clusters and local files are named by paths and
// references, and are not what the fake cluster is about).
func (w *world) fileOf(typeName string, v tftypes.Value) (string, error) {
	namespace, name, ok := objectName(v)
	if !ok || !(strings.HasPrefix(typeName, "kubernetes_") || typeName == "helm_release") {
		return "", nil
	}
	return w.file(typeName, namespace, name)
}

// exists reports whether the object of state v is in the world (types without a name always are).
func (w *world) exists(typeName string, v tftypes.Value) (bool, error) {
	file, err := w.fileOf(typeName, v)
	if err != nil || file == "" {
		return true, err
	}
	_, err = os.Stat(file)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (w *world) remove(typeName string, prior tftypes.Value) error {
	file, err := w.fileOf(typeName, prior)
	if err != nil || file == "" {
		return err
	}
	if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// record writes the object as the API server would hold it after a create or update: the
// configuration Terraform sent to apply (with write-only values, which real providers send
// on) completed by the new state's computed values.
func (w *world) record(typeName string, config, prior, newState tftypes.Value) error {
	object, err := withComputed(config, newState)
	if err != nil {
		return err
	}
	file, err := w.fileOf(typeName, object)
	if err != nil || file == "" {
		return err
	}
	doc, _ := toJSON(object).(map[string]any)
	if doc == nil {
		return fmt.Errorf("%s: not an object", typeName)
	}
	if typeName == "kubernetes_secret_v1" {
		doc[clusterDataKey] = secretClusterData(doc, prior, newState, previousClusterData(file))
	}
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", file, os.Getpid())
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// withComputed is config with each null value replaced by the new state's value at the same
// path (computed attributes the configuration leaves unset).
func withComputed(config, newState tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(config, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsNull() {
			return v, nil
		}
		found, _, err := tftypes.WalkAttributePath(newState, p)
		if err != nil {
			return v, nil
		}
		if fv, ok := found.(tftypes.Value); ok && fv.Type().Equal(v.Type()) {
			return fv, nil
		}
		return v, nil
	})
}

func previousClusterData(file string) map[string]any {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	data, _ := doc[clusterDataKey].(map[string]any)
	return data
}

// secretClusterData is the data a pod reading the Secret sees, following the real provider
// (kubernetes 2.38.0, resource_kubernetes_secret_v1.go): on create, `data_wo` alone when
// `data_wo_revision` >= 1 (`data` is then ignored), else `data`; on update `data_wo` replaces
// the data only when `data_wo_revision` changed, else `data` only when it changed, else the
// Secret keeps what it holds.
func secretClusterData(doc map[string]any, prior, newState tftypes.Value, previous map[string]any) map[string]any {
	merged := func() map[string]any {
		key := "data"
		if rev, ok := doc["data_wo_revision"].(json.Number); ok {
			if f, err := rev.Float64(); err == nil && f >= 1 {
				key = "data_wo"
			}
		}
		out := map[string]any{}
		if m, ok := doc[key].(map[string]any); ok {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	if prior.IsNull() || previous == nil || changed(prior, newState, "data_wo_revision") {
		return merged()
	}
	if changed(prior, newState, "data") {
		data, _ := doc["data"].(map[string]any)
		return data
	}
	return previous
}

func changed(prior, newState tftypes.Value, attr string) bool {
	path := tftypes.NewAttributePath().WithAttributeName(attr)
	a, _, errA := tftypes.WalkAttributePath(prior, path)
	b, _, errB := tftypes.WalkAttributePath(newState, path)
	if errA != nil || errB != nil {
		return (errA == nil) != (errB == nil)
	}
	av, okA := a.(tftypes.Value)
	bv, okB := b.(tftypes.Value)
	return okA != okB || !av.Equal(bv)
}

// toJSON is v as plain JSON values (unknown becomes null).
func toJSON(v tftypes.Value) any {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty.Is(tftypes.List{}), ty.Is(tftypes.Set{}), ty.Is(tftypes.Tuple{}):
		var elems []tftypes.Value
		_ = v.As(&elems)
		out := make([]any, len(elems))
		for i, e := range elems {
			out[i] = toJSON(e)
		}
		return out
	case ty.Is(tftypes.Map{}), ty.Is(tftypes.Object{}):
		var attrs map[string]tftypes.Value
		_ = v.As(&attrs)
		out := make(map[string]any, len(attrs))
		for k, e := range attrs {
			out[k] = toJSON(e)
		}
		return out
	case ty.Equal(tftypes.String):
		var s string
		_ = v.As(&s)
		return s
	case ty.Equal(tftypes.Number):
		f := new(big.Float)
		_ = v.As(f)
		return json.Number(f.Text('g', -1))
	case ty.Equal(tftypes.Bool):
		var b bool
		_ = v.As(&b)
		return b
	}
	return nil
}

// secretData is what a kubernetes_secret_v1 data source reads from the world: the Secret's
// cluster data, when the world holds that Secret (written by an apply, or put there by a
// test as another controller would, e.g. ECK's public certificate Secret).
func (w *world) secretData(typeName string, config tftypes.Value) (map[string]string, bool) {
	if typeName != "kubernetes_secret_v1" {
		return nil, false
	}
	file, err := w.fileOf("kubernetes_secret_v1", config)
	if err != nil || file == "" {
		return nil, false
	}
	data := previousClusterData(file)
	if data == nil {
		return nil, false
	}
	out := map[string]string{}
	for k, v := range data {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out, true
}
