// Command terraform-provider-standin is a stand-in Terraform provider plugin (protocol 6) for
// offline checks. It serves the REAL schema of one provider, read from schema.json beside its
// own executable (one provider's entry of `terraform providers schema -json`), so Terraform
// core validates configurations exactly as with the real provider. It has no provider logic:
// validation RPCs accept everything, and plan/apply echo the configuration (unknown values
// become null, or typed placeholders with TF_STANDIN_COMPUTED=placeholder) so that stacks can
// be planned and applied offline.
//
// Like real providers (and as Terraform >= 1.11 requires), it never returns a write-only
// attribute's value: write-only attributes are null in planned, applied, read and upgraded
// states. Opening an ephemeral resource fills its computed attributes, strings with fresh
// crypto-random values on every open (random_password's `result` honours length and the
// character-set settings). With TF_STANDIN_COMPUTED=placeholder, an apply gives an unknown
// metadata[0].uid a new random UUID and an unknown metadata[0].resource_version a new value,
// as an API server does.
//
// With TF_STANDIN_WORLD=<dir>, the stand-in keeps a fake cluster there (world.go): apply
// writes each managed object as JSON (its configuration, write-only values included, plus
// computed values; Secrets also with the data a pod would read), destroy removes it, and a
// refresh reports an object whose file is gone as deleted, so Terraform plans to create it.
//
// Served: provider block, resources, data sources and ephemeral resources. Not served:
// provider-defined functions (Terraform would report them as unknown functions), list
// resources, actions, state stores and resource identities.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// JSON form of `terraform providers schema -json` (format_version 1.0).
type jsonSchema struct {
	Version int64     `json:"version"`
	Block   jsonBlock `json:"block"`
}

type jsonBlock struct {
	Attributes      map[string]jsonAttribute `json:"attributes"`
	BlockTypes      map[string]jsonBlockType `json:"block_types"`
	Description     string                   `json:"description"`
	DescriptionKind string                   `json:"description_kind"`
	Deprecated      bool                     `json:"deprecated"`
}

type jsonAttribute struct {
	Type            json.RawMessage `json:"type"` // cty type: "string", ["list","string"], ["object",{...}], ...
	NestedType      *jsonNestedType `json:"nested_type"`
	Description     string          `json:"description"`
	DescriptionKind string          `json:"description_kind"`
	Required        bool            `json:"required"`
	Optional        bool            `json:"optional"`
	Computed        bool            `json:"computed"`
	Sensitive       bool            `json:"sensitive"`
	Deprecated      bool            `json:"deprecated"`
	WriteOnly       bool            `json:"write_only"`
}

// jsonNestedType is a protocol-6 nested attribute. Its min_items/max_items are deprecated in
// the protocol (tfprotov6.SchemaObject has no such fields) and are not enforced by Terraform.
type jsonNestedType struct {
	Attributes  map[string]jsonAttribute `json:"attributes"`
	NestingMode string                   `json:"nesting_mode"`
}

type jsonBlockType struct {
	NestingMode string    `json:"nesting_mode"`
	Block       jsonBlock `json:"block"`
	MinItems    int64     `json:"min_items"`
	MaxItems    int64     `json:"max_items"`
}

type jsonProvider struct {
	Provider                 jsonSchema            `json:"provider"`
	ResourceSchemas          map[string]jsonSchema `json:"resource_schemas"`
	DataSourceSchemas        map[string]jsonSchema `json:"data_source_schemas"`
	EphemeralResourceSchemas map[string]jsonSchema `json:"ephemeral_resource_schemas"`
}

var blockNesting = map[string]tfprotov6.SchemaNestedBlockNestingMode{
	"single": tfprotov6.SchemaNestedBlockNestingModeSingle,
	"list":   tfprotov6.SchemaNestedBlockNestingModeList,
	"set":    tfprotov6.SchemaNestedBlockNestingModeSet,
	"map":    tfprotov6.SchemaNestedBlockNestingModeMap,
	"group":  tfprotov6.SchemaNestedBlockNestingModeGroup,
}

var objectNesting = map[string]tfprotov6.SchemaObjectNestingMode{
	"single": tfprotov6.SchemaObjectNestingModeSingle,
	"list":   tfprotov6.SchemaObjectNestingModeList,
	"set":    tfprotov6.SchemaObjectNestingModeSet,
	"map":    tfprotov6.SchemaObjectNestingModeMap,
}

func stringKind(kind string) tfprotov6.StringKind {
	if kind == "markdown" {
		return tfprotov6.StringKindMarkdown
	}
	return tfprotov6.StringKindPlain
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func convertSchema(s jsonSchema, where string) (*tfprotov6.Schema, error) {
	block, err := convertBlock(s.Block, where)
	return &tfprotov6.Schema{Version: s.Version, Block: block}, err
}

func convertBlock(b jsonBlock, where string) (*tfprotov6.SchemaBlock, error) {
	out := &tfprotov6.SchemaBlock{Description: b.Description, DescriptionKind: stringKind(b.DescriptionKind), Deprecated: b.Deprecated}
	attrs, err := convertAttributes(b.Attributes, where)
	if err != nil {
		return nil, err
	}
	out.Attributes = attrs
	for _, name := range sortedKeys(b.BlockTypes) {
		bt := b.BlockTypes[name]
		nesting, ok := blockNesting[bt.NestingMode]
		if !ok {
			return nil, fmt.Errorf("%s.%s: unknown block nesting_mode %q", where, name, bt.NestingMode)
		}
		inner, err := convertBlock(bt.Block, where+"."+name)
		if err != nil {
			return nil, err
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{TypeName: name, Block: inner, Nesting: nesting, MinItems: bt.MinItems, MaxItems: bt.MaxItems})
	}
	return out, nil
}

func convertAttributes(in map[string]jsonAttribute, where string) ([]*tfprotov6.SchemaAttribute, error) {
	var out []*tfprotov6.SchemaAttribute
	for _, name := range sortedKeys(in) {
		a := in[name]
		attr := &tfprotov6.SchemaAttribute{
			Name: name, Description: a.Description, DescriptionKind: stringKind(a.DescriptionKind),
			Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			Sensitive: a.Sensitive, Deprecated: a.Deprecated, WriteOnly: a.WriteOnly,
		}
		switch {
		case a.NestedType != nil:
			nesting, ok := objectNesting[a.NestedType.NestingMode]
			if !ok {
				return nil, fmt.Errorf("%s.%s: unknown nested_type nesting_mode %q", where, name, a.NestedType.NestingMode)
			}
			inner, err := convertAttributes(a.NestedType.Attributes, where+"."+name)
			if err != nil {
				return nil, err
			}
			attr.NestedType = &tfprotov6.SchemaObject{Attributes: inner, Nesting: nesting}
		case len(a.Type) > 0:
			// The cty JSON type encoding is the one tftypes reads for Terraform's own messages.
			ty, err := tftypes.ParseJSONType(a.Type) //nolint:staticcheck
			if err != nil {
				return nil, fmt.Errorf("%s.%s: type %s: %w", where, name, a.Type, err)
			}
			attr.Type = ty
		default:
			return nil, fmt.Errorf("%s.%s: attribute has neither type nor nested_type", where, name)
		}
		out = append(out, attr)
	}
	return out, nil
}

// standin implements tfprotov6.ProviderServer from the converted schemas.
type standin struct {
	provider   *tfprotov6.Schema
	resources  map[string]*tfprotov6.Schema
	dataSrcs   map[string]*tfprotov6.Schema
	ephemerals map[string]*tfprotov6.Schema
	// attributes of each resource type by path: names joined by "." (element keys omitted)
	attrs map[string]map[string]*tfprotov6.SchemaAttribute
	// the same for ephemeral resource types
	ephemeralAttrs map[string]map[string]*tfprotov6.SchemaAttribute
	// the fake cluster, or nil (see world.go)
	world *world
}

func load() (*standin, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	file := filepath.Join(filepath.Dir(exe), "schema.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	// Either the whole document with exactly one provider, or that provider's entry itself.
	var doc struct {
		ProviderSchemas map[string]json.RawMessage `json:"provider_schemas"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.ProviderSchemas) > 1 {
		return nil, fmt.Errorf("%s: holds %d providers, want one", file, len(doc.ProviderSchemas))
	}
	for _, entry := range doc.ProviderSchemas {
		raw = entry
	}
	var p jsonProvider
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s := &standin{resources: map[string]*tfprotov6.Schema{}, dataSrcs: map[string]*tfprotov6.Schema{}, ephemerals: map[string]*tfprotov6.Schema{}, attrs: map[string]map[string]*tfprotov6.SchemaAttribute{}, ephemeralAttrs: map[string]map[string]*tfprotov6.SchemaAttribute{}, world: worldFromEnv()}
	if s.provider, err = convertSchema(p.Provider, "provider"); err != nil {
		return nil, err
	}
	for _, group := range []struct {
		in  map[string]jsonSchema
		out map[string]*tfprotov6.Schema
	}{{p.ResourceSchemas, s.resources}, {p.DataSourceSchemas, s.dataSrcs}, {p.EphemeralResourceSchemas, s.ephemerals}} {
		for name, js := range group.in {
			if group.out[name], err = convertSchema(js, name); err != nil {
				return nil, err
			}
		}
	}
	for name, schema := range s.resources {
		s.attrs[name] = map[string]*tfprotov6.SchemaAttribute{}
		collectAttributes(schema.Block, "", s.attrs[name])
	}
	for name, schema := range s.ephemerals {
		s.ephemeralAttrs[name] = map[string]*tfprotov6.SchemaAttribute{}
		collectAttributes(schema.Block, "", s.ephemeralAttrs[name])
	}
	return s, nil
}

func collectAttributes(b *tfprotov6.SchemaBlock, prefix string, into map[string]*tfprotov6.SchemaAttribute) {
	for _, a := range b.Attributes {
		collectAttribute(a, prefix, into)
	}
	for _, bt := range b.BlockTypes {
		collectAttributes(bt.Block, prefix+bt.TypeName+".", into)
	}
}

func collectAttribute(a *tfprotov6.SchemaAttribute, prefix string, into map[string]*tfprotov6.SchemaAttribute) {
	into[prefix+a.Name] = a
	if a.NestedType != nil {
		for _, inner := range a.NestedType.Attributes {
			collectAttribute(inner, prefix+a.Name+".", into)
		}
	}
}

// namePath joins the attribute names of a path, skipping list/set/map element steps.
func namePath(p *tftypes.AttributePath) string {
	var names []string
	for _, step := range p.Steps() {
		if name, ok := step.(tftypes.AttributeName); ok {
			names = append(names, string(name))
		}
	}
	return strings.Join(names, ".")
}

func errorDiag(summary string, err error) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityError, Summary: summary, Detail: err.Error()}}
}

// nullUnknowns replaces every unknown value with a null of the same type.
func nullUnknowns(v tftypes.Value) (tftypes.Value, error) {
	return tftypes.Transform(v, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
}

// placeholder is a known value of type ty for an attribute the real provider computes at
// apply: "standin:<resource type>.<path>" for strings, 0, false, empty collections, objects
// and tuples of placeholders, null for dynamic. Used instead of null when the environment has
// TF_STANDIN_COMPUTED=placeholder, so that outputs built from computed attributes (which
// Terraform drops from the state when null) reach consumer stacks.
func placeholder(ty tftypes.Type, name string) tftypes.Value {
	switch t := ty.(type) {
	case tftypes.List, tftypes.Set:
		return tftypes.NewValue(ty, []tftypes.Value{})
	case tftypes.Map:
		return tftypes.NewValue(ty, map[string]tftypes.Value{})
	case tftypes.Object:
		attrs := map[string]tftypes.Value{}
		for k, at := range t.AttributeTypes {
			attrs[k] = placeholder(at, name+"."+k)
		}
		return tftypes.NewValue(ty, attrs)
	case tftypes.Tuple:
		elems := make([]tftypes.Value, len(t.ElementTypes))
		for i, et := range t.ElementTypes {
			elems[i] = placeholder(et, name)
		}
		return tftypes.NewValue(ty, elems)
	}
	switch {
	case ty.Equal(tftypes.String):
		return tftypes.NewValue(ty, "standin:"+name)
	case ty.Equal(tftypes.Number):
		return tftypes.NewValue(ty, new(big.Float))
	case ty.Equal(tftypes.Bool):
		return tftypes.NewValue(ty, false)
	}
	return tftypes.NewValue(ty, nil)
}

// newUID is a random (version 4) UUID, as an API server gives each object it creates.
func newUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// newResourceVersion is an opaque, practically unique decimal string, like an API server's
// resourceVersion (which changes on every write).
func newResourceVersion() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1e12))
	if err != nil {
		return "", err
	}
	return n.Add(n, big.NewInt(1e12)).String(), nil
}

// serverMetadata is the value an API server gives an unknown metadata[0].uid or
// metadata[0].resource_version at a write (ok false for any other attribute).
func serverMetadata(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, bool, error) {
	if !v.Type().Equal(tftypes.String) {
		return v, false, nil
	}
	var gen func() (string, error)
	switch namePath(p) {
	case "metadata.uid":
		gen = newUID
	case "metadata.resource_version":
		gen = newResourceVersion
	default:
		return v, false, nil
	}
	s, err := gen()
	return tftypes.NewValue(tftypes.String, s), true, err
}

// resolveUnknowns replaces every unknown value with null (default) or a placeholder. With
// placeholders, write (apply of a managed resource) gives metadata uid/resource_version fresh
// values instead; an update plans them as their prior values (the proposed new state keeps
// computed values), so in practice only a create or a replace changes the uid.
func resolveUnknowns(typeName string, write bool) func(tftypes.Value) (tftypes.Value, error) {
	if os.Getenv("TF_STANDIN_COMPUTED") != "placeholder" {
		return nullUnknowns
	}
	return func(v tftypes.Value) (tftypes.Value, error) {
		return tftypes.Transform(v, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
			if v.IsKnown() {
				return v, nil
			}
			if write {
				if server, ok, err := serverMetadata(p, v); ok || err != nil {
					return server, err
				}
			}
			return placeholder(v.Type(), typeName+"."+namePath(p)), nil
		})
	}
}

// nullWriteOnly nulls every write-only attribute of a resource type's value, at any depth:
// Terraform (>= 1.11) rejects a provider that returns a write-only value in any state.
func (s *standin) nullWriteOnly(typeName string) func(tftypes.Value) (tftypes.Value, error) {
	attrs := s.attrs[typeName]
	return func(v tftypes.Value) (tftypes.Value, error) {
		return tftypes.Transform(v, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
			if _, isName := p.LastStep().(tftypes.AttributeName); !isName || v.IsNull() {
				return v, nil
			}
			if a := attrs[namePath(p)]; a != nil && a.WriteOnly {
				return tftypes.NewValue(v.Type(), nil), nil
			}
			return v, nil
		})
	}
}

// then chains value transforms.
func then(fs ...func(tftypes.Value) (tftypes.Value, error)) func(tftypes.Value) (tftypes.Value, error) {
	return func(v tftypes.Value) (tftypes.Value, error) {
		var err error
		for _, f := range fs {
			if v, err = f(v); err != nil {
				return v, err
			}
		}
		return v, nil
	}
}

// echo decodes a value with the schema's type, transforms it and encodes it again.
func echo(schema *tfprotov6.Schema, in *tfprotov6.DynamicValue, f func(tftypes.Value) (tftypes.Value, error)) (*tfprotov6.DynamicValue, error) {
	ty := schema.ValueType()
	v, err := in.Unmarshal(ty)
	if err != nil {
		return nil, err
	}
	if f != nil {
		if v, err = f(v); err != nil {
			return nil, err
		}
	}
	out, err := tfprotov6.NewDynamicValue(ty, v)
	return &out, err
}

func (s *standin) metadata() *tfprotov6.GetMetadataResponse {
	resp := &tfprotov6.GetMetadataResponse{}
	for _, name := range sortedKeys(s.resources) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.dataSrcs) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.ephemerals) {
		resp.EphemeralResources = append(resp.EphemeralResources, tfprotov6.EphemeralResourceMetadata{TypeName: name})
	}
	return resp
}

func (s *standin) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return s.metadata(), nil
}

func (s *standin) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		Provider: s.provider, ProviderMeta: &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{}},
		ResourceSchemas: s.resources, DataSourceSchemas: s.dataSrcs, EphemeralResourceSchemas: s.ephemerals,
	}, nil
}

func (s *standin) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (s *standin) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *standin) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *standin) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *standin) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *standin) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	schema, ok := s.resources[req.TypeName]
	if !ok || req.RawState == nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiag("Unknown resource type or no state", fmt.Errorf("%s", req.TypeName))}, nil
	}
	ty := schema.ValueType()
	v, err := req.RawState.UnmarshalWithOpts(ty, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiag("Cannot decode the stored state", err)}, nil
	}
	if v, err = s.nullWriteOnly(req.TypeName)(v); err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiag("Cannot upgrade the stored state", err)}, nil
	}
	out, err := tfprotov6.NewDynamicValue(ty, v)
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiag("Cannot encode the state", err)}, nil
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &out}, nil
}

// ReadResource returns the current state (write-only attributes null). With a world, an
// object whose file is gone was deleted out of band: a null state, so Terraform plans to
// create it again.
func (s *standin) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	schema, ok := s.resources[req.TypeName]
	if !ok || req.CurrentState == nil {
		return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
	}
	ty := schema.ValueType()
	current, err := req.CurrentState.Unmarshal(ty)
	if err != nil {
		return &tfprotov6.ReadResourceResponse{Diagnostics: errorDiag("Cannot decode the current state", err)}, nil
	}
	if s.world != nil {
		exists, err := s.world.exists(req.TypeName, current)
		if err != nil {
			return &tfprotov6.ReadResourceResponse{Diagnostics: errorDiag("Cannot read the world", err)}, nil
		}
		if !exists {
			gone, err := tfprotov6.NewDynamicValue(ty, tftypes.NewValue(ty, nil))
			if err != nil {
				return &tfprotov6.ReadResourceResponse{Diagnostics: errorDiag("Cannot encode the state", err)}, nil
			}
			return &tfprotov6.ReadResourceResponse{NewState: &gone}, nil
		}
	}
	state, err := echo(schema, req.CurrentState, s.nullWriteOnly(req.TypeName))
	if err != nil {
		return &tfprotov6.ReadResourceResponse{Diagnostics: errorDiag("Cannot read", err)}, nil
	}
	return &tfprotov6.ReadResourceResponse{NewState: state, Private: req.Private}, nil
}

// PlanResourceChange plans the proposed new state (configuration, plus prior values of
// computed attributes the configuration leaves null). On create, computed attributes that
// are still null are planned unknown ("known after apply"), as real providers do for ids and
// server-set fields; Terraform accepts unknown for any computed attribute the configuration
// does not set. Only on create: planning them unknown on update would show a change forever.
// Write-only attributes are planned null, as Terraform requires.
func (s *standin) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	schema, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiag("Unknown resource type", fmt.Errorf("%s", req.TypeName))}, nil
	}
	prior, err := req.PriorState.Unmarshal(schema.ValueType())
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiag("Cannot decode the prior state", err)}, nil
	}
	create, attrs := prior.IsNull(), s.attrs[req.TypeName]
	plan := func(v tftypes.Value) (tftypes.Value, error) {
		return tftypes.Transform(v, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
			if _, isName := p.LastStep().(tftypes.AttributeName); !isName {
				return v, nil
			}
			switch a := attrs[namePath(p)]; {
			case a == nil:
			case a.WriteOnly && !v.IsNull():
				return tftypes.NewValue(v.Type(), nil), nil
			case create && a.Computed && v.IsNull():
				return tftypes.NewValue(v.Type(), tftypes.UnknownValue), nil
			}
			return v, nil
		})
	}
	planned, err := echo(schema, req.ProposedNewState, plan)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiag("Cannot plan", err)}, nil
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: planned, PlannedPrivate: req.PriorPrivate}, nil
}

// ApplyResourceChange "creates" or "updates" the planned state (unknown values become null,
// or placeholders: see placeholder; write-only attributes null) and deletes on destroy
// (planned state null). With a world, it writes or removes the object's file there.
func (s *standin) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	schema, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errorDiag("Unknown resource type", fmt.Errorf("%s", req.TypeName))}, nil
	}
	state, err := echo(schema, req.PlannedState, then(resolveUnknowns(req.TypeName, true), s.nullWriteOnly(req.TypeName)))
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errorDiag("Cannot apply", err)}, nil
	}
	if s.world != nil {
		if err := s.applyToWorld(schema.ValueType(), req, state); err != nil {
			return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errorDiag("Cannot write the world", err)}, nil
		}
	}
	return &tfprotov6.ApplyResourceChangeResponse{NewState: state, Private: req.PlannedPrivate}, nil
}

func (s *standin) applyToWorld(ty tftypes.Type, req *tfprotov6.ApplyResourceChangeRequest, state *tfprotov6.DynamicValue) error {
	var prior, newState, config tftypes.Value
	var err error
	if prior, err = req.PriorState.Unmarshal(ty); err != nil {
		return err
	}
	if newState, err = state.Unmarshal(ty); err != nil {
		return err
	}
	if newState.IsNull() {
		return s.world.remove(req.TypeName, prior)
	}
	if config, err = req.Config.Unmarshal(ty); err != nil {
		return err
	}
	return s.world.record(req.TypeName, config, prior, newState)
}

func (s *standin) ImportResourceState(_ context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: errorDiag("Import is not supported", fmt.Errorf("the offline stand-in provider cannot import %s", req.TypeName))}, nil
}

func (s *standin) MoveResourceState(_ context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: errorDiag("Move is not supported", fmt.Errorf("the offline stand-in provider cannot move state to %s", req.TargetTypeName))}, nil
}

func (s *standin) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{}, nil
}

func (s *standin) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{}, nil
}

func (s *standin) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *standin) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	schema, ok := s.dataSrcs[req.TypeName]
	if !ok {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiag("Unknown data source", fmt.Errorf("%s", req.TypeName))}, nil
	}
	resolve := resolveUnknowns(req.TypeName, false)
	if s.world != nil {
		// A Secret the world holds is read as the API server would return it.
		config, err := req.Config.Unmarshal(schema.ValueType())
		if err != nil {
			return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiag("Cannot read", err)}, nil
		}
		if data, ok := s.world.secretData(req.TypeName, config); ok {
			values := map[string]tftypes.Value{}
			for k, v := range data {
				values[k] = tftypes.NewValue(tftypes.String, v)
			}
			dataPath := tftypes.NewAttributePath().WithAttributeName("data")
			fill := resolve
			resolve = func(v tftypes.Value) (tftypes.Value, error) {
				v, err := tftypes.Transform(v, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
					if p.Equal(dataPath) {
						return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, values), nil
					}
					return v, nil
				})
				if err != nil {
					return v, err
				}
				return fill(v)
			}
		}
	}
	state, err := echo(schema, req.Config, resolve)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiag("Cannot read", err)}, nil
	}
	return &tfprotov6.ReadDataSourceResponse{State: state}, nil
}

func (s *standin) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{}, nil
}

func (s *standin) OpenEphemeralResource(_ context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	schema, ok := s.ephemerals[req.TypeName]
	if !ok {
		return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errorDiag("Unknown ephemeral resource", fmt.Errorf("%s", req.TypeName))}, nil
	}
	result, err := echo(schema, req.Config, func(v tftypes.Value) (tftypes.Value, error) { return s.openEphemeral(req.TypeName, v) })
	if err != nil {
		return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errorDiag("Cannot open", err)}, nil
	}
	return &tfprotov6.OpenEphemeralResourceResponse{Result: result}, nil
}

func (s *standin) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{}, nil
}

func (s *standin) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{}, nil
}

func (s *standin) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{}, nil
}

func (s *standin) CallFunction(context.Context, *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{}, nil
}

func main() {
	s, err := load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-standin:", err)
		os.Exit(1)
	}
	// The address only names the plugin in logs; Terraform picks it by its install path.
	if err := tf6server.Serve("registry.terraform.io/monitoring-stack/standin", func() tfprotov6.ProviderServer { return s }); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-provider-standin:", err)
		os.Exit(1)
	}
}
