package gluefake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Limits of the Glue API that the fake enforces.
const (
	MaxBatchCreatePartition = 100
	MaxBatchDeletePartition = 25
	MaxGetPartitionsResults = 1000
)

// Server is a fake Glue endpoint.
type Server struct {
	// URL is the server's base URL, for glue.Options.BaseEndpoint.
	URL string
	srv *httptest.Server

	mu    sync.Mutex
	dbs   map[string]*database
	calls map[string]int
	// PageSize is how many partitions GetPartitions returns per page when
	// the request sets no smaller MaxResults; default 7, so that tests
	// page.
	PageSize int
	// ItemFault, if set, is asked for each partition of a batch operation
	// ("BatchCreatePartition" or "BatchDeletePartition"); a non-empty
	// result fails that item with this error code.
	ItemFault func(op string, values []string) string
}

type database struct {
	input  json.RawMessage
	tables map[string]*table
}

type table struct {
	def TableInput
	// parts are in creation order. Deleted partitions stay, marked, so
	// that page tokens (indexes) stay valid while partitions are deleted
	// between the pages of a listing, as Glue's do.
	parts []*partition
}

type partition struct {
	values  []string
	sd      *StorageDescriptor
	params  map[string]string
	deleted bool
}

// Column is Glue's Column.
type Column struct {
	Name    string
	Type    string `json:",omitempty"`
	Comment string `json:",omitempty"`
}

// SerDeInfo is Glue's SerDeInfo.
type SerDeInfo struct {
	Name                 string            `json:",omitempty"`
	SerializationLibrary string            `json:",omitempty"`
	Parameters           map[string]string `json:",omitempty"`
}

// StorageDescriptor is the part of Glue's StorageDescriptor the fake keeps.
type StorageDescriptor struct {
	Columns      []Column          `json:",omitempty"`
	Location     string            `json:",omitempty"`
	InputFormat  string            `json:",omitempty"`
	OutputFormat string            `json:",omitempty"`
	SerdeInfo    *SerDeInfo        `json:",omitempty"`
	Parameters   map[string]string `json:",omitempty"`
	Compressed   bool              `json:",omitempty"`
}

// TableInput is the part of Glue's TableInput the fake keeps.
type TableInput struct {
	Name              string
	Description       string             `json:",omitempty"`
	TableType         string             `json:",omitempty"`
	Parameters        map[string]string  `json:",omitempty"`
	StorageDescriptor *StorageDescriptor `json:",omitempty"`
	PartitionKeys     []Column           `json:",omitempty"`
}

// NewServer starts a fake; Close stops it.
func NewServer() *Server {
	s := &Server{dbs: make(map[string]*database), calls: make(map[string]int), PageSize: 7}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Calls returns how many requests of operation op (e.g.
// "BatchCreatePartition") the server has handled.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// apiError is an error response.
type apiError struct {
	Type    string `json:"__type"`
	Message string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func errorf(typ, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if e, ok := v.(*apiError); ok {
			w.Header().Set("X-Amzn-ErrorType", e.Type)
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		reply(http.StatusNotFound, errorf("UnknownOperationException", "%s %s", r.Method, r.URL.Path))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		reply(http.StatusBadRequest, errorf("SerializationException", "content type %q", ct))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		reply(http.StatusForbidden, errorf("MissingAuthenticationTokenException", "request is not signed"))
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSGlue.")
	if !ok {
		reply(http.StatusBadRequest, errorf("UnknownOperationException", "X-Amz-Target %q", r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		reply(http.StatusBadRequest, errorf("SerializationException", "%v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	var out any
	switch op {
	case "CreateDatabase":
		out, err = s.createDatabase(body)
	case "GetDatabase":
		out, err = s.getDatabase(body)
	case "GetTable":
		out, err = s.getTable(body)
	case "CreateTable":
		out, err = s.createTable(body)
	case "UpdateTable":
		out, err = s.updateTable(body)
	case "BatchCreatePartition":
		out, err = s.batchCreatePartition(body)
	case "GetPartitions":
		out, err = s.getPartitions(body)
	case "BatchDeletePartition":
		out, err = s.batchDeletePartition(body)
	default:
		err = errorf("UnknownOperationException", "operation %s is not implemented by the fake", op)
	}
	if err != nil {
		e, ok := err.(*apiError)
		if !ok {
			e = errorf("InvalidInputException", "%v", err)
		}
		reply(http.StatusBadRequest, e)
		return
	}
	reply(http.StatusOK, out)
}

func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return errorf("SerializationException", "%v", err)
	}
	return nil
}

func (s *Server) db(name string) (*database, error) {
	d := s.dbs[name]
	if d == nil {
		return nil, errorf("EntityNotFoundException", "Database %s not found.", name)
	}
	return d, nil
}

func (s *Server) table(dbName, name string) (*table, error) {
	d, err := s.db(dbName)
	if err != nil {
		return nil, err
	}
	t := d.tables[name]
	if t == nil {
		return nil, errorf("EntityNotFoundException", "Table %s not found.", name)
	}
	return t, nil
}

func required(field, v string) error {
	if v == "" {
		return errorf("InvalidInputException", "%s is required", field)
	}
	return nil
}

func (s *Server) createDatabase(body []byte) (any, error) {
	var in struct {
		DatabaseInput json.RawMessage
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var di struct{ Name string }
	if err := decode(in.DatabaseInput, &di); err != nil {
		return nil, err
	}
	if err := required("DatabaseInput.Name", di.Name); err != nil {
		return nil, err
	}
	if s.dbs[di.Name] != nil {
		return nil, errorf("AlreadyExistsException", "Database already exists.")
	}
	s.dbs[di.Name] = &database{input: in.DatabaseInput, tables: make(map[string]*table)}
	return struct{}{}, nil
}

func (s *Server) getDatabase(body []byte) (any, error) {
	var in struct{ Name string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	d, err := s.db(in.Name)
	if err != nil {
		return nil, err
	}
	return map[string]json.RawMessage{"Database": d.input}, nil
}

type tableOut struct {
	TableInput
	DatabaseName string
}

func (s *Server) getTable(body []byte) (any, error) {
	var in struct{ DatabaseName, Name string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.table(in.DatabaseName, in.Name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": tableOut{t.def, in.DatabaseName}}, nil
}

func (s *Server) tableInput(body []byte) (string, TableInput, error) {
	var in struct {
		DatabaseName string
		TableInput   TableInput
	}
	if err := decode(body, &in); err != nil {
		return "", TableInput{}, err
	}
	if err := required("DatabaseName", in.DatabaseName); err != nil {
		return "", TableInput{}, err
	}
	if err := required("TableInput.Name", in.TableInput.Name); err != nil {
		return "", TableInput{}, err
	}
	return in.DatabaseName, in.TableInput, nil
}

func (s *Server) createTable(body []byte) (any, error) {
	dbName, ti, err := s.tableInput(body)
	if err != nil {
		return nil, err
	}
	d, err := s.db(dbName)
	if err != nil {
		return nil, err
	}
	if d.tables[ti.Name] != nil {
		return nil, errorf("AlreadyExistsException", "Table already exists.")
	}
	d.tables[ti.Name] = &table{def: ti}
	return struct{}{}, nil
}

func (s *Server) updateTable(body []byte) (any, error) {
	dbName, ti, err := s.tableInput(body)
	if err != nil {
		return nil, err
	}
	t, err := s.table(dbName, ti.Name)
	if err != nil {
		return nil, err
	}
	t.def = ti
	return struct{}{}, nil
}

type partitionError struct {
	PartitionValues []string
	ErrorDetail     struct{ ErrorCode, ErrorMessage string }
}

func itemError(values []string, code, format string, args ...any) partitionError {
	e := partitionError{PartitionValues: values}
	e.ErrorDetail.ErrorCode = code
	e.ErrorDetail.ErrorMessage = fmt.Sprintf(format, args...)
	return e
}

func (t *table) find(values []string) int {
	return slices.IndexFunc(t.parts, func(p *partition) bool { return !p.deleted && slices.Equal(p.values, values) })
}

func (s *Server) batchCreatePartition(body []byte) (any, error) {
	var in struct {
		DatabaseName, TableName string
		PartitionInputList      []struct {
			Values            []string
			StorageDescriptor *StorageDescriptor
			Parameters        map[string]string
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if n := len(in.PartitionInputList); n == 0 || n > MaxBatchCreatePartition {
		return nil, errorf("InvalidInputException", "1 validation error detected: Value at 'partitionInputList' failed to satisfy constraint: Member must have length less than or equal to %d (got %d)", MaxBatchCreatePartition, n)
	}
	t, err := s.table(in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	errs := []partitionError{}
	for _, p := range in.PartitionInputList {
		switch {
		case s.ItemFault != nil && s.ItemFault("BatchCreatePartition", p.Values) != "":
			errs = append(errs, itemError(p.Values, s.ItemFault("BatchCreatePartition", p.Values), "injected fault"))
		case len(p.Values) != len(t.def.PartitionKeys):
			errs = append(errs, itemError(p.Values, "InvalidInputException", "The number of partition keys do not match the number of partition values"))
		case t.find(p.Values) >= 0:
			errs = append(errs, itemError(p.Values, "AlreadyExistsException", "Partition already exists."))
		default:
			t.parts = append(t.parts, &partition{values: p.Values, sd: p.StorageDescriptor, params: p.Parameters})
		}
	}
	return map[string]any{"Errors": errs}, nil
}

func (s *Server) batchDeletePartition(body []byte) (any, error) {
	var in struct {
		DatabaseName, TableName string
		PartitionsToDelete      []struct{ Values []string }
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if n := len(in.PartitionsToDelete); n == 0 || n > MaxBatchDeletePartition {
		return nil, errorf("InvalidInputException", "1 validation error detected: Value at 'partitionsToDelete' failed to satisfy constraint: Member must have length less than or equal to %d (got %d)", MaxBatchDeletePartition, n)
	}
	t, err := s.table(in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	errs := []partitionError{}
	for _, p := range in.PartitionsToDelete {
		if s.ItemFault != nil && s.ItemFault("BatchDeletePartition", p.Values) != "" {
			errs = append(errs, itemError(p.Values, s.ItemFault("BatchDeletePartition", p.Values), "injected fault"))
			continue
		}
		i := t.find(p.Values)
		if i < 0 {
			errs = append(errs, itemError(p.Values, "EntityNotFoundException", "Partition not found."))
			continue
		}
		t.parts[i].deleted = true
	}
	return map[string]any{"Errors": errs}, nil
}

func (s *Server) getPartitions(body []byte) (any, error) {
	var in struct {
		DatabaseName, TableName string
		Expression              string
		NextToken               string
		MaxResults              int
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > MaxGetPartitionsResults {
		return nil, errorf("InvalidInputException", "MaxResults %d out of range", in.MaxResults)
	}
	t, err := s.table(in.DatabaseName, in.TableName)
	if err != nil {
		return nil, err
	}
	var pred expr
	if strings.TrimSpace(in.Expression) != "" {
		if pred, err = parseExpression(in.Expression); err != nil {
			return nil, errorf("InvalidInputException", "Unsupported expression %q: %v", in.Expression, err)
		}
	}
	keys := make(map[string]Column, len(t.def.PartitionKeys))
	for _, k := range t.def.PartitionKeys {
		keys[k.Name] = k
	}
	// The token is the index of the next partition in creation order. A
	// real token is opaque; so is this one to the client.
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "fake-"))
		if err != nil || n < 0 || n > len(t.parts) {
			return nil, errorf("InvalidInputException", "invalid NextToken")
		}
		start = n
	}
	size := s.PageSize
	if in.MaxResults > 0 && in.MaxResults < size {
		size = in.MaxResults
	}
	type partitionOut struct {
		Values            []string
		DatabaseName      string
		TableName         string
		StorageDescriptor *StorageDescriptor `json:",omitempty"`
		Parameters        map[string]string  `json:",omitempty"`
	}
	parts := []partitionOut{}
	i := start
	for ; i < len(t.parts) && len(parts) < size; i++ {
		p := t.parts[i]
		if p.deleted {
			continue
		}
		if pred != nil {
			env := make(map[string]value, len(keys))
			for j, k := range t.def.PartitionKeys {
				env[k.Name] = typed(k.Type, p.values[j])
			}
			ok, err := pred.eval(env)
			if err != nil {
				return nil, errorf("InvalidInputException", "%v", err)
			}
			if !ok {
				continue
			}
		}
		parts = append(parts, partitionOut{p.values, in.DatabaseName, in.TableName, p.sd, p.params})
	}
	out := map[string]any{"Partitions": parts}
	if i < len(t.parts) {
		out["NextToken"] = "fake-" + strconv.Itoa(i)
	}
	return out, nil
}
