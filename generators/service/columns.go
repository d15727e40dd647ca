package service

import (
	"fmt"

	"github.com/microforge/microforge/internal/model"
)

// Dialects name the migration folders and match database.Dialect in the
// generated platform package.
const (
	dialectPostgres = "postgres"
	dialectMySQL    = "mysql"
	dialectSQLite   = "sqlite"
)

// goType returns the Go type protoc-gen-go uses for a field of type t,
// importing the packages it names.
func goType(t *model.Type, im imports) string {
	switch t.Kind {
	case model.ScalarType:
		switch t.Scalar {
		case model.String:
			return "string"
		case model.Bool:
			return "bool"
		case model.Int32:
			return "int32"
		case model.Int64:
			return "int64"
		case model.Double:
			return "float64"
		case model.Bytes:
			return "[]byte"
		case model.Timestamp:
			im.add("google.golang.org/protobuf/types/known/timestamppb")
			return "*timestamppb.Timestamp"
		}
	case model.EnumType:
		importProto(t.Enum.Service, im)
		return t.Enum.QualGo
	case model.MessageType:
		importProto(t.Message.Service, im)
		return "*" + t.Message.QualGo
	case model.ListType:
		return "[]" + goType(t.Elem, im)
	}
	panic(fmt.Sprintf("internal error: no Go type for %+v", t))
}

// importProto imports the generated protobuf package of svc.
func importProto(svc *model.Service, im imports) {
	im.alias(svc.GoPackageName, svc.GoPackage)
}

// column is how one entity field is stored.
type column struct {
	Name   string // SQL column
	GoName string // field of the Go message
	Getter string // "GetCustomerId"

	// ScanVar is the local variable a row is scanned into when the field
	// cannot be scanned directly; ScanType is its type.
	ScanVar, ScanType string
	// Encode is the Go expression of the column value, reading the message
	// in variable "%[1]s"; EncodeErr says it returns (any, error).
	Encode    string
	EncodeErr bool
	// Decode is the Go expression of the field value from ScanVar;
	// DecodeErr says it returns (value, error).
	Decode    string
	DecodeErr bool

	// JSON says the column holds JSON text (lists and messages).
	JSON bool
	// Comparable says SQL equality on the column matches Go equality, so
	// queries may filter on it in SQL.
	Comparable bool

	field *model.Field
}

// IsScanDirect reports whether rows scan straight into the message field.
func (c *column) IsScanDirect() bool { return c.ScanVar == "" }

// EncodeOf returns Encode for the message in variable v.
func (c *column) EncodeOf(v string) string { return fmt.Sprintf(c.Encode, v) }

// newColumn maps an entity field to its column. enumText names the map
// variable holding the stored texts of an enum.
func newColumn(f *model.Field, enumText func(*model.Enum) string, im imports) *column {
	c := &column{
		Name:   f.Column,
		GoName: f.GoName,
		Getter: "Get" + f.GoName,
		field:  f,
	}
	get := "%[1]s." + c.Getter + "()"
	t := f.Type
	switch t.Kind {
	case model.ScalarType:
		c.Encode = get
		c.Comparable = t.Scalar != model.Bytes
		if t.Scalar == model.Timestamp {
			c.Encode = "database.Time(" + get + ")"
			c.ScanVar, c.ScanType = "col"+f.GoName, "database.NullTime"
			c.Decode = c.ScanVar + ".Timestamp()"
		}
	case model.EnumType:
		c.Comparable = true
		c.Encode = "database.EnumText(" + get + ", " + enumText(t.Enum) + ")"
		c.ScanVar, c.ScanType = "col"+f.GoName, "string"
		c.Decode, c.DecodeErr = "database.EnumValue("+c.ScanVar+", "+enumText(t.Enum)+")", true
	case model.MessageType:
		c.JSON = true
		c.ScanVar, c.ScanType = "col"+f.GoName, "sql.NullString"
		c.Encode, c.EncodeErr = "database.MarshalMessage("+get+")", true
		importProto(t.Message.Service, im)
		c.Decode, c.DecodeErr = "database.UnmarshalMessage["+t.Message.QualGo+"]("+c.ScanVar+")", true
	case model.ListType:
		c.JSON = true
		c.ScanVar, c.ScanType = "col"+f.GoName, "sql.NullString"
		c.EncodeErr, c.DecodeErr = true, true
		switch e := t.Elem; {
		case e.Kind == model.MessageType:
			importProto(e.Message.Service, im)
			c.Encode = "database.MarshalMessages(" + get + ")"
			c.Decode = "database.UnmarshalMessages[" + e.Message.QualGo + "](" + c.ScanVar + ")"
		case e.Kind == model.ScalarType && e.Scalar == model.Timestamp:
			im.add("google.golang.org/protobuf/types/known/timestamppb")
			c.Encode = "database.MarshalMessages(" + get + ")"
			c.Decode = "database.UnmarshalMessages[timestamppb.Timestamp](" + c.ScanVar + ")"
		case e.Kind == model.EnumType:
			c.Encode = "database.MarshalList(database.EnumTexts(" + get + ", " + enumText(e.Enum) + "))"
			c.Decode = "database.UnmarshalEnums(" + c.ScanVar + ", " + enumText(e.Enum) + ")"
		default:
			c.Decode = "database.UnmarshalList[" + goType(e, im) + "](" + c.ScanVar + ")"
			c.Encode = "database.MarshalList(" + get + ")"
		}
	}
	if c.JSON || c.ScanType == "sql.NullString" {
		im.add("database/sql")
	}
	return c
}

// quoteIdent quotes an SQL identifier for a dialect, as database.Dialect.Quote
// does at run time.
func quoteIdent(dialect, ident string) string {
	if dialect == dialectMySQL {
		return "`" + ident + "`"
	}
	return `"` + ident + `"`
}
