// Package blueprints ships the example blueprints and the JSON Schema of the
// blueprint format, embedded so that the CLI can print them and tests can
// validate them.
package blueprints

import "embed"

// Schema is the JSON Schema (draft 2020-12) of the blueprint format.
//
//go:embed microforge.schema.json
var Schema []byte

// FS holds the shipped blueprints (*.yaml) and the schema.
//
//go:embed *.yaml microforge.schema.json
var FS embed.FS
