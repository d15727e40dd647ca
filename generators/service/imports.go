package service

import (
	"path"
	"sort"
	"strings"
)

// imports collects the imports of one generated Go file. files.New only
// gofmts, so every file must import exactly what it uses: views add an
// import where they add the code that needs it.
type imports map[string]string // path -> name ("" when the path's last element is the name)

// add imports p under its default name.
func (im imports) add(paths ...string) imports {
	for _, p := range paths {
		if _, ok := im[p]; !ok {
			im[p] = ""
		}
	}
	return im
}

// alias imports p as name, omitting the name where it is the default.
func (im imports) alias(name, p string) imports {
	if path.Base(p) == name {
		name = ""
	}
	im[p] = name
	return im
}

// Groups returns the import lines, standard library first, each group sorted.
func (im imports) Groups() [][]string {
	var std, other []string
	for p, name := range im {
		line := `"` + p + `"`
		if name != "" {
			line = name + " " + line
		}
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			other = append(other, line)
		} else {
			std = append(std, line)
		}
	}
	sortByPath := func(lines []string) {
		sort.Slice(lines, func(i, j int) bool { return unquoted(lines[i]) < unquoted(lines[j]) })
	}
	sortByPath(std)
	sortByPath(other)
	var groups [][]string
	for _, g := range [][]string{std, other} {
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}

func unquoted(line string) string {
	return line[strings.IndexByte(line, '"'):]
}
