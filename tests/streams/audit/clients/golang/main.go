// A Grafana-like client of the audit service's ClickHouse HTTP interface:
// clickhouse-go v2 over HTTP, as the Grafana ClickHouse data source connects
// (github.com/grafana/clickhouse-datasource opens clickhouse.OpenDB with
// Protocol: clickhouse.HTTP). Used by tests/streams/audit/test_third_party_clients.py.
//
// usage: client ADDR USER PASSWORD DATABASE QUERY...
// Prints each query's rows as one JSON array of arrays (values as strings) per line.
// CH_COMPRESS=lz4 asks for LZ4 blocks (compress=1), which clickhouse-go checks with
// their CityHash128 checksums.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func main() {
	if len(os.Args) < 6 {
		fmt.Fprintln(os.Stderr, "usage: client ADDR USER PASSWORD DATABASE QUERY...")
		os.Exit(2)
	}
	options := &clickhouse.Options{
		Addr:        []string{os.Args[1]},
		Protocol:    clickhouse.HTTP,
		Auth:        clickhouse.Auth{Username: os.Args[2], Password: os.Args[3], Database: os.Args[4]},
		DialTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second,
	}
	if os.Getenv("CH_COMPRESS") == "lz4" {
		options.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	db := clickhouse.OpenDB(options)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		fail("ping", err)
	}
	for _, query := range os.Args[5:] {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			fail(query, err)
		}
		out, err := collect(rows)
		if err != nil {
			fail(query, err)
		}
		line, _ := json.Marshal(out)
		fmt.Println(string(line))
	}
}

func collect(rows *sql.Rows) ([][]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := [][]string{}
	for rows.Next() {
		values := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range values {
			row[i] = str(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case *any:
		return str(*x)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}
