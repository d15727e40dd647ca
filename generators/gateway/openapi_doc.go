package gateway

import (
	"bytes"
	"encoding/json"
)

// The OpenAPI 3.1 document as Go data: only the parts the gateway's
// description uses, marshalled with encoding/json in declaration order
// (objects whose keys vary are ordered slices, so the output is stable
// and reads in blueprint order).

type oaDocument struct {
	OpenAPI    string               `json:"openapi"`
	Info       oaInfo               `json:"info"`
	Servers    []oaServer           `json:"servers"`
	Tags       []oaTag              `json:"tags,omitempty"`
	Paths      ordered[*oaPathItem] `json:"paths"`
	Components oaComponents         `json:"components"`
}

type oaInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

type oaServer struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

type oaTag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type oaPathItem struct {
	Get  *oaOperation `json:"get,omitempty"`
	Post *oaOperation `json:"post,omitempty"`
}

type oaOperation struct {
	OperationID string               `json:"operationId"`
	Tags        []string             `json:"tags,omitempty"`
	Summary     string               `json:"summary,omitempty"`
	Description string               `json:"description,omitempty"`
	Parameters  []*oaParameter       `json:"parameters,omitempty"`
	RequestBody *oaRequestBody       `json:"requestBody,omitempty"`
	Responses   ordered[*oaResponse] `json:"responses"`
	Security    []ordered[[]string]  `json:"security,omitempty"`
}

type oaParameter struct {
	Name        string    `json:"name"`
	In          string    `json:"in"` // "query" or "header"
	Description string    `json:"description,omitempty"`
	Required    bool      `json:"required,omitempty"`
	Style       string    `json:"style,omitempty"`
	Explode     *bool     `json:"explode,omitempty"`
	Schema      *oaSchema `json:"schema"`
}

type oaRequestBody struct {
	Description string                `json:"description,omitempty"`
	Required    bool                  `json:"required"`
	Content     ordered[*oaMediaType] `json:"content"`
}

type oaMediaType struct {
	Schema *oaSchema `json:"schema"`
}

type oaResponse struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Headers     ordered[*oaHeader]    `json:"headers,omitempty"`
	Content     ordered[*oaMediaType] `json:"content,omitempty"`
}

type oaHeader struct {
	Description string    `json:"description,omitempty"`
	Schema      *oaSchema `json:"schema"`
}

type oaComponents struct {
	Schemas         ordered[*oaSchema]         `json:"schemas"`
	Responses       ordered[*oaResponse]       `json:"responses,omitempty"`
	SecuritySchemes ordered[*oaSecurityScheme] `json:"securitySchemes,omitempty"`
}

type oaSecurityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	Description  string `json:"description,omitempty"`
}

// oaSchema is a JSON Schema (draft 2020-12, OpenAPI 3.1's dialect).
type oaSchema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Title                string             `json:"title,omitempty"`
	Description          string             `json:"description,omitempty"`
	Type                 any                `json:"type,omitempty"` // a name, or a list of names
	Format               string             `json:"format,omitempty"`
	ContentEncoding      string             `json:"contentEncoding,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Const                any                `json:"const,omitempty"`
	Properties           ordered[*oaSchema] `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`
	Items                *oaSchema          `json:"items,omitempty"`
	AllOf                []*oaSchema        `json:"allOf,omitempty"`
	AnyOf                []*oaSchema        `json:"anyOf,omitempty"`
	Not                  *oaSchema          `json:"not,omitempty"`
	Minimum              json.Number        `json:"minimum,omitempty"`
	Maximum              json.Number        `json:"maximum,omitempty"`
	ExclusiveMinimum     json.Number        `json:"exclusiveMinimum,omitempty"`
	ExclusiveMaximum     json.Number        `json:"exclusiveMaximum,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	MaxLength            *int               `json:"maxLength,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
}

// ordered is a JSON object whose keys keep the order they were added in.
type ordered[T any] []entry[T]

type entry[T any] struct {
	Key   string
	Value T
}

func (o *ordered[T]) add(key string, v T) { *o = append(*o, entry[T]{key, v}) }

// get returns the value of key and whether it is there.
func (o ordered[T]) get(key string) (T, bool) {
	for _, e := range o {
		if e.Key == key {
			return e.Value, true
		}
	}
	var zero T
	return zero, false
}

// MarshalJSON writes the object with its keys in order.
func (o ordered[T]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
