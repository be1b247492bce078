package mcpserver

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// maxOffset bounds a cursor's offset: far past any list an answer holds, and far from overflowing.
const maxOffset = 10_000_000

// maxTextRunes bounds a string of a paged answer (an error message, a SQL text): longer ones are cut, their length
// said.
const maxTextRunes = 2000

// cursor is where a page starts: the question it pages (a digest of it), the offset into each list and the page size.
type cursor struct {
	Question string `json:"q"`
	Offset   int    `json:"o"`
	Size     int    `json:"s"`
}

// questionKey is a short digest of a question, which a cursor carries.
func questionKey(question string) string {
	sum := sha256.Sum256([]byte(question))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// readCursor reads a cursor given for question ("" is the first page); one from another question, or garbled, is an
// error.
func readCursor(s, question string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.Offset < 0 || c.Offset > maxOffset || c.Size < 1 || c.Size > MaxPageSize {
		return cursor{}, errors.New("cursor is not one this server gave")
	}
	if c.Question != questionKey(question) {
		return cursor{}, errors.New("cursor belongs to another question: ask the same question (same tool and arguments) with it")
	}
	return c, nil
}

func (c cursor) String() string {
	b, _ := json.Marshal(c) // a struct of strings and ints always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// longestList is the length of the answer's longest top-level list.
func longestList(answer map[string]any) int {
	n := 0
	for _, v := range answer {
		if l, ok := v.([]any); ok {
			n = max(n, len(l))
		}
	}
	return n
}

// pageOf is one page of an answer: items [offset, offset+size) of each top-level list, strings over maxTextRunes
// cut, and a page object saying the lists' totals, whether more follows and the cursor of the next page. The size
// is halved until the page fits MaxResultBytes; a page of one item that does not fit is an error.
func pageOf(answer map[string]any, question string, offset, size int) (map[string]any, string, error) {
	for ; size >= 1; size /= 2 {
		page := map[string]any{}
		totals := map[string]int{}
		more := false
		for k, v := range answer {
			l, isList := v.([]any)
			if !isList {
				page[k] = cut(v)
				continue
			}
			totals[k] = len(l)
			from := min(offset, len(l))
			to := from + min(size, len(l)-from)
			page[k] = cut(l[from:to])
			more = more || to < len(l)
		}
		p := map[string]any{"offset": offset, "limit": size, "totals": totals, "truncated": more}
		if more {
			p["next_cursor"] = cursor{Question: questionKey(question), Offset: offset + size, Size: size}.String()
		}
		page["page"] = p
		b, err := json.Marshal(page)
		if err != nil {
			return nil, "", fmt.Errorf("the page could not be written: %w", err)
		}
		if len(b) <= MaxResultBytes {
			return page, string(b), nil
		}
	}
	return nil, "", fmt.Errorf("even one item of this answer is over the %d bytes a tool returns", MaxResultBytes)
}

// cut returns v with every string over maxTextRunes cut, its length said.
func cut(v any) any {
	switch x := v.(type) {
	case string:
		if n := utf8.RuneCountInString(x); n > maxTextRunes {
			return string([]rune(x)[:maxTextRunes]) + fmt.Sprintf("… (%d characters in all)", n)
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cut(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cut(e)
		}
		return out
	}
	return v
}
