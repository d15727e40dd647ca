// Package config reads settings from environment variables. A setting NAME of
// a service with prefix ORDERS is looked up as ORDERS_NAME first and then as
// NAME, so one environment can configure several services while a container
// running a single service can use the short names.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Env looks up settings for one service and collects parse errors.
type Env struct {
	prefix string
	lookup func(string) (string, bool)
	errs   []error
}

// FromOS returns an Env reading the process environment.
func FromOS(prefix string) *Env {
	return &Env{prefix: prefix, lookup: os.LookupEnv}
}

// FromMap returns an Env reading a map, for tests.
func FromMap(prefix string, m map[string]string) *Env {
	return &Env{prefix: prefix, lookup: func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}}
}

// raw returns the value of PREFIX_NAME or NAME and the key it came from.
func (e *Env) raw(name string) (value, key string, ok bool) {
	if e.prefix != "" {
		key = e.prefix + "_" + name
		if v, ok := e.lookup(key); ok && v != "" {
			return v, key, true
		}
	}
	if v, ok := e.lookup(name); ok && v != "" {
		return v, name, true
	}
	return "", "", false
}

// String returns the setting name, or def when it is unset or empty.
func (e *Env) String(name, def string) string {
	if v, _, ok := e.raw(name); ok {
		return v
	}
	return def
}

// Int returns the integer setting name, or def when it is unset.
func (e *Env) Int(name string, def int) int {
	v, key, ok := e.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: not an integer", key, v))
		return def
	}
	return n
}

// Duration returns the duration setting name ("10s", "1m"), or def when it
// is unset.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v, key, ok := e.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s=%q: not a duration such as 10s", key, v))
		return def
	}
	return d
}

// Err returns every setting that could not be parsed, or nil.
func (e *Env) Err() error {
	return errors.Join(e.errs...)
}
