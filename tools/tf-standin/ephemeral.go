package main

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Character sets of hashicorp/random 3.7.2's random_password.
const (
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

// randomFrom is n characters drawn uniformly from chars with crypto/rand.
func randomFrom(chars string, n int) (string, error) {
	var b strings.Builder
	limit := big.NewInt(int64(len(chars)))
	for range n {
		i, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return "", err
		}
		b.WriteByte(chars[i.Int64()])
	}
	return b.String(), nil
}

// configured reads an attribute of the ephemeral resource's configuration (null: not set).
func configured(config tftypes.Value, name string) (tftypes.Value, bool) {
	found, _, err := tftypes.WalkAttributePath(config, tftypes.NewAttributePath().WithAttributeName(name))
	v, ok := found.(tftypes.Value)
	if err != nil || !ok || v.IsNull() || !v.IsKnown() {
		return tftypes.Value{}, false
	}
	return v, true
}

func boolOr(config tftypes.Value, name string, def bool) bool {
	if v, ok := configured(config, name); ok {
		var b bool
		if v.As(&b) == nil {
			return b
		}
	}
	return def
}

// password is a random_password result: `length` characters (default 16) of the enabled
// sets (upper, lower, numeric, special: each on unless false; override_special replaces
// the special set), fresh on every call, as the real provider's is on every open.
func password(config tftypes.Value) (string, error) {
	length := int64(16)
	if v, ok := configured(config, "length"); ok {
		f := new(big.Float)
		if v.As(f) == nil {
			length, _ = f.Int64()
		}
	}
	if length < 1 {
		return "", fmt.Errorf("length must be at least 1, got %d", length)
	}
	chars := ""
	for _, set := range []struct {
		attr  string
		chars string
	}{{"upper", upperChars}, {"lower", lowerChars}, {"numeric", numericChars}, {"special", specialChars}} {
		if boolOr(config, set.attr, true) {
			if set.attr == "special" {
				if v, ok := configured(config, "override_special"); ok {
					_ = v.As(&set.chars)
				}
			}
			chars += set.chars
		}
	}
	if chars == "" {
		return "", fmt.Errorf("upper, lower, numeric and special are all false: no characters to choose from")
	}
	return randomFrom(chars, int(length))
}

// ephemeralDefaults are the values the real random_password reports for optional+computed
// settings the configuration leaves unset (placeholders would say false).
var ephemeralDefaults = map[string]map[string]bool{
	"random_password": {"upper": true, "lower": true, "numeric": true, "special": true},
}

// openEphemeral completes an ephemeral resource's configuration into its result: each
// computed attribute left null or unknown gets a value. Strings are crypto-random and new on
// every open (random_password's `result` follows its settings); other types get placeholders.
func (s *standin) openEphemeral(typeName string, config tftypes.Value) (tftypes.Value, error) {
	attrs := s.ephemeralAttrs[typeName]
	return tftypes.Transform(config, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if _, isName := p.LastStep().(tftypes.AttributeName); !isName {
			return v, nil
		}
		name := namePath(p)
		if a := attrs[name]; a == nil || !a.Computed || (v.IsKnown() && !v.IsNull()) {
			return v, nil
		}
		switch {
		case typeName == "random_password" && name == "result":
			pw, err := password(config)
			if err != nil {
				return v, err
			}
			return tftypes.NewValue(tftypes.String, pw), nil
		case v.Type().Equal(tftypes.String):
			str, err := randomFrom(lowerChars+upperChars+numericChars, 32)
			return tftypes.NewValue(tftypes.String, str), err
		case v.Type().Equal(tftypes.Bool):
			if def, ok := ephemeralDefaults[typeName][name]; ok {
				return tftypes.NewValue(tftypes.Bool, def), nil
			}
		}
		return placeholder(v.Type(), typeName+"."+name), nil
	})
}
