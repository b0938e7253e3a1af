package stackfile

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ConfigDoc is the page (relative to the module root) that holds the
// generated configuration reference.
const ConfigDoc = "docs/configuration.md"

// Table markers around the generated configuration reference in ConfigDoc.
const (
	TableBegin = "<!-- config-table:begin (generated from Pulumi.yaml by `make docs`) -->"
	TableEnd   = "<!-- config-table:end -->"
)

// ConfigTable renders the configuration reference of ConfigDoc from Pulumi.yaml,
// in declaration order: key, type, default, description.
func ConfigTable(p *Project, order []string) string {
	var b strings.Builder
	b.WriteString("| key | type | default | description |\n|---|---|---|---|\n")
	for _, key := range order {
		ck := p.Config[key]
		typ := ck.Type
		if typ == "array" && ck.Items != nil {
			typ = "array<" + ck.Items.Type + ">"
		}
		if ck.Secret {
			typ += ", secret"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", key, typ, renderDefault(ck.Default), ck.Description)
	}
	return b.String()
}

func renderDefault(v any) string {
	if v == nil {
		return "(none)" // secret keys have no default
	}
	if s, ok := v.(string); ok {
		if s == "" {
			return `""`
		}
		return s
	}
	j, _ := json.Marshal(v)
	return string(j)
}

// ReplaceTable returns readme with the text between the markers replaced by table.
func ReplaceTable(readme, table string) (string, error) {
	i := strings.Index(readme, TableBegin)
	j := strings.Index(readme, TableEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf(ConfigDoc+" lacks the markers %q ... %q", TableBegin, TableEnd)
	}
	return readme[:i+len(TableBegin)] + "\n" + table + readme[j:], nil
}
