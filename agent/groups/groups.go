package groups

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/hsaid"
)

// SettingKey is where the groups are kept in the store's sealed settings.
const SettingKey = "unit/groups"

// Limits.
const (
	MaxGroups     = 100
	MaxMembers    = 1000 // per group
	MaxNameRunes  = 60
	formatVersion = 1
)

// Group is one staff group.
type Group struct {
	ID      string   `json:"id"`      // cases.ValidGroupID; never changes
	Name    string   `json:"name"`    // as the unit calls it: "Sjuksköterskor"
	Members []string `json:"members"` // HSA-IDs, sorted, each once
}

// Settings is the store's sealed settings area as the Set uses it
// (agent/store's DB through a small adapter): Get returns nil and no
// error for a key never set.
type Settings interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
}

// Commissioned reports whether hsaID has an active commission for the
// unit in the staff directory now.
type Commissioned func(hsaID string) bool

// Config is what Open needs; every field is required.
type Config struct {
	Settings     Settings
	Commissioned Commissioned
	Logger       *slog.Logger
}

// Set is the unit's groups. It is safe for concurrent use.
type Set struct {
	settings     Settings
	commissioned Commissioned
	log          *slog.Logger

	mu     sync.RWMutex
	groups []Group // by name
}

// stored is the setting's value.
type stored struct {
	Version int     `json:"version"`
	Groups  []Group `json:"groups"`
}

// Open reads the unit's groups from cfg.Settings (none yet: no groups).
func Open(ctx context.Context, cfg Config) (*Set, error) {
	if cfg.Settings == nil || cfg.Commissioned == nil || cfg.Logger == nil {
		return nil, errors.New("groups: settings, the directory's commission check and a logger are required")
	}
	s := &Set{settings: cfg.Settings, commissioned: cfg.Commissioned, log: cfg.Logger}
	b, err := cfg.Settings.Get(ctx, SettingKey)
	if err != nil {
		return nil, fmt.Errorf("read the unit's groups: %w", err)
	}
	if b == nil {
		return s, nil
	}
	var st stored
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read the unit's groups: %w", err)
	}
	if st.Version != formatVersion {
		return nil, fmt.Errorf("read the unit's groups: format version %d, this clinicgw reads %d", st.Version, formatVersion)
	}
	gs, err := Check(st.Groups)
	if err != nil {
		return nil, fmt.Errorf("read the unit's groups: %w", err)
	}
	s.groups = gs
	return s, nil
}

// List returns the groups, by name.
func (s *Set) List() []Group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Group, len(s.groups))
	for i, g := range s.groups {
		out[i] = Group{ID: g.ID, Name: g.Name, Members: slices.Clone(g.Members)}
	}
	return out
}

// Save checks gs (Check) and, when they pass, stores them in place of the
// unit's groups; else it returns the *Error and changes nothing. A
// group's id may not change: a group left out is removed, and the cases
// in its queue wait for the distributor (who sees every case) to move
// them.
func (s *Set) Save(ctx context.Context, gs []Group) error {
	checked, err := Check(gs)
	if err != nil {
		return err
	}
	b, err := json.Marshal(stored{Version: formatVersion, Groups: checked})
	if err != nil {
		return fmt.Errorf("save the unit's groups: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.settings.Put(ctx, SettingKey, b); err != nil {
		return fmt.Errorf("save the unit's groups: %w", err)
	}
	s.groups = checked
	s.log.Info("staff groups saved", "groups", len(checked))
	return nil
}

// GroupsOf returns the ids of the groups hsaID counts in now: listed as a
// member and commissioned for the unit (cases.GroupSource).
func (s *Set) GroupsOf(hsaID string) []string {
	s.mu.RLock()
	var ids []string
	for _, g := range s.groups {
		if _, ok := slices.BinarySearch(g.Members, hsaID); ok {
			ids = append(ids, g.ID)
		}
	}
	s.mu.RUnlock()
	if len(ids) == 0 || !s.commissioned(hsaID) {
		return nil
	}
	return ids
}

// GroupExists reports whether the unit has a group with this id
// (cases.GroupSource).
func (s *Set) GroupExists(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.ContainsFunc(s.groups, func(g Group) bool { return g.ID == id })
}

// Name returns the name of group id, or "" when there is none.
func (s *Set) Name(id string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, g := range s.groups {
		if g.ID == id {
			return g.Name
		}
	}
	return ""
}

var _ cases.GroupSource = (*Set)(nil)

// Error is a refused set of groups: which group (its index in what was
// given) and field, why in English, and the i18n catalogue key of the
// Swedish and English text for the person who edits them.
type Error struct {
	Index  int    // the group's index; -1 for the set as a whole
	Field  string // "id", "name", "members" or "" for the set
	Reason string
	Key    string // sync/i18n key, e.g. "groups.err.nameTaken"
}

func (e *Error) Error() string {
	if e.Index < 0 {
		return "groups: " + e.Reason
	}
	return fmt.Sprintf("groups: group %d: %s: %s", e.Index+1, e.Field, e.Reason)
}

// Check returns gs cleaned (names trimmed, members sorted and each once)
// and sorted by name, or the first *Error: a bad or repeated id, an empty,
// long, multi-line or repeated name (case does not matter), a member that
// is not an HSA-ID, or too many groups or members.
func Check(gs []Group) ([]Group, error) {
	if len(gs) > MaxGroups {
		return nil, &Error{Index: -1, Reason: fmt.Sprintf("more than %d groups", MaxGroups), Key: "groups.err.tooMany"}
	}
	out := make([]Group, len(gs))
	ids, names := map[string]bool{}, map[string]bool{}
	for i, g := range gs {
		refuse := func(field, reason, key string) ([]Group, error) {
			return nil, &Error{Index: i, Field: field, Reason: reason, Key: key}
		}
		name := strings.TrimSpace(g.Name)
		switch {
		case !cases.ValidGroupID(g.ID):
			return refuse("id", "not a group id", "groups.err.badID")
		case ids[g.ID]:
			return refuse("id", "the id is taken", "groups.err.idTaken")
		case name == "":
			return refuse("name", "no name", "groups.err.noName")
		case !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameRunes ||
			strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) }):
			return refuse("name", fmt.Sprintf("longer than %d characters or not one line", MaxNameRunes), "groups.err.longName")
		case hsaid.Contains(name):
			return refuse("name", "holds an HSA-ID", "groups.err.longName")
		case names[strings.ToLower(name)]:
			return refuse("name", "another group has this name", "groups.err.nameTaken")
		case len(g.Members) > MaxMembers:
			return refuse("members", fmt.Sprintf("more than %d members", MaxMembers), "groups.err.tooManyMembers")
		}
		for _, m := range g.Members {
			if !hsaid.Valid(m) {
				return refuse("members", "a member is not an HSA-ID", "groups.err.badMember")
			}
		}
		ids[g.ID], names[strings.ToLower(name)] = true, true
		ms := slices.Compact(slices.Sorted(slices.Values(g.Members)))
		if ms == nil {
			ms = []string{}
		}
		out[i] = Group{ID: g.ID, Name: name, Members: ms}
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// NewID returns an id for a new group named name that is not in taken:
// the name in lower case with å, ä, ö and é as a, a, o, e, anything else
// but letters and digits as '-', cut to fit, and a number added when the
// id is taken ("sjukskoterskor", "sjukskoterskor-2").
func NewID(name string, taken func(string) bool) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch r {
		case 'å', 'ä', 'à', 'á':
			r = 'a'
		case 'ö', 'ø', 'ó':
			r = 'o'
		case 'é', 'è', 'ë':
			r = 'e'
		case 'ü':
			r = 'u'
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	base := b.String()
	if base == "" || base[0] < 'a' || base[0] > 'z' {
		base = "grupp-" + base
	}
	base = strings.TrimRight(base[:min(len(base), cases.MaxGroupIDLen-4)], "-")
	id := base
	for n := 2; taken(id); n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	return id
}
