package warden

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Task priorities.
const (
	PriorityLow    = "low"
	PriorityMedium = "medium"
	PriorityHigh   = "high"
)

// Limits on task fields and collections.
const (
	TaskTitleMax       = 200
	TaskDescriptionMax = 10000
	ListLimitDefault   = 100
	ListLimitMax       = 100
	PageSizeDefault    = 20
	PageSizeMax        = 100
	BulkCreateMax      = 100
	BulkImportMax      = 1000
)

// Task is a to-do item owned by one user inside one tenant.
type Task struct {
	ID          int64      `json:"id" db:"id"`
	TenantID    string     `json:"-" db:"tenant_id"`
	Title       string     `json:"title" db:"title"`
	Description *string    `json:"description" db:"description"`
	Completed   bool       `json:"completed" db:"completed"`
	Priority    string     `json:"priority" db:"priority"`
	DueDate     *time.Time `json:"due_date" db:"due_date"`
	UserID      string     `json:"user_id" db:"owner_id"`
	CreatedAt   time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at" db:"updated_at"`
}

// TaskInput is the client-settable part of a task, for create and full replace
// (PUT). Fields not sent take their defaults.
type TaskInput struct {
	Title       string
	Description *string
	Completed   bool
	Priority    string
	DueDate     *time.Time
}

// Normalize trims the title and fills defaults.
func (in *TaskInput) Normalize() {
	in.Title = strings.TrimSpace(in.Title)
	if in.Priority == "" {
		in.Priority = PriorityMedium
	}
}

// Validate reports every broken rule; prefix names the item in a bulk body ("[3].").
func (in *TaskInput) Validate(prefix string) []FieldError {
	var errs []FieldError
	errs = append(errs, validateTitle(prefix, in.Title)...)
	errs = append(errs, validateDescription(prefix, in.Description)...)
	errs = append(errs, validatePriority(prefix, in.Priority)...)
	return errs
}

// Optional is a PATCH field: Set says whether the client sent it; a sent JSON
// null leaves Value at its zero value with Null true.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// TaskPatch carries only the fields a PATCH sent.
type TaskPatch struct {
	Title       Optional[string]
	Description Optional[string]
	Completed   Optional[bool]
	Priority    Optional[string]
	DueDate     Optional[time.Time]
}

// Normalize trims a sent title.
func (p *TaskPatch) Normalize() {
	if p.Title.Set {
		p.Title.Value = strings.TrimSpace(p.Title.Value)
	}
}

// Validate reports every broken rule; null is refused on non-nullable fields.
func (p *TaskPatch) Validate() []FieldError {
	var errs []FieldError
	notNull := func(name string, set, null bool) bool {
		if set && null {
			errs = append(errs, FieldError{Field: name, Message: "must not be null"})
			return false
		}
		return set
	}
	if notNull("title", p.Title.Set, p.Title.Null) {
		errs = append(errs, validateTitle("", p.Title.Value)...)
	}
	if p.Description.Set && !p.Description.Null {
		errs = append(errs, validateDescription("", &p.Description.Value)...)
	}
	notNull("completed", p.Completed.Set, p.Completed.Null)
	if notNull("priority", p.Priority.Set, p.Priority.Null) {
		errs = append(errs, validatePriority("", p.Priority.Value)...)
	}
	return errs
}

// Empty reports whether the patch changes nothing.
func (p *TaskPatch) Empty() bool {
	return !p.Title.Set && !p.Description.Set && !p.Completed.Set && !p.Priority.Set && !p.DueDate.Set
}

// Apply returns t with the patch's fields changed.
func (p *TaskPatch) Apply(t Task) Task {
	if p.Title.Set {
		t.Title = p.Title.Value
	}
	if p.Description.Set {
		t.Description = nil
		if !p.Description.Null {
			v := p.Description.Value
			t.Description = &v
		}
	}
	if p.Completed.Set {
		t.Completed = p.Completed.Value
	}
	if p.Priority.Set {
		t.Priority = p.Priority.Value
	}
	if p.DueDate.Set {
		t.DueDate = nil
		if !p.DueDate.Null {
			v := p.DueDate.Value
			t.DueDate = &v
		}
	}
	return t
}

// TaskFilter narrows a task list. Nil pointers mean "no filter".
type TaskFilter struct {
	Completed *bool
	Priority  *string
	UserID    *string
	Search    *string // case-insensitive substring of the title, matched literally
	Offset    int
	Limit     int
	// Cursor, when set, continues a keyset listing after the given position.
	Cursor *TaskCursor
}

// TaskCursor is a keyset position in the newest-first order (created_at DESC, id DESC).
type TaskCursor struct {
	CreatedAt time.Time
	ID        int64
}

func validateTitle(prefix, title string) []FieldError {
	n := utf8.RuneCountInString(title)
	if n == 0 {
		return []FieldError{{Field: prefix + "title", Message: "must not be empty"}}
	} else if n > TaskTitleMax {
		return []FieldError{{Field: prefix + "title", Message: "must be at most 200 characters"}}
	}
	return nil
}

func validateDescription(prefix string, d *string) []FieldError {
	if d != nil && utf8.RuneCountInString(*d) > TaskDescriptionMax {
		return []FieldError{{Field: prefix + "description", Message: "must be at most 10000 characters"}}
	}
	return nil
}

func validatePriority(prefix, p string) []FieldError {
	switch p {
	case PriorityLow, PriorityMedium, PriorityHigh:
		return nil
	}
	return []FieldError{{Field: prefix + "priority", Message: "must be one of low, medium, high"}}
}
