// A DBeaver-like client of the audit service's ClickHouse HTTP interface: ClickHouse's
// official JDBC driver (com.clickhouse:clickhouse-jdbc, the driver DBeaver downloads for
// its ClickHouse connection type), run with `java -cp <driver classpath> AuditQuery.java`.
// Used by tests/streams/audit/test_third_party_clients.py.
//
// usage: AuditQuery JDBC_URL USER PASSWORD QUERY...
// Prints the server's product name and version (DBeaver shows them on connect), the
// tables and audit_events' columns as its navigator lists them (DatabaseMetaData), then
// each query's rows as one line of tab-separated values per row, then "--" per query.
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.Properties;

public class AuditQuery {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: AuditQuery JDBC_URL USER PASSWORD QUERY...");
            System.exit(2);
        }
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        props.setProperty("password", args[2]);
        try (Connection conn = DriverManager.getConnection(args[0], props)) {
            DatabaseMetaData meta = conn.getMetaData();
            System.out.println("server\t" + meta.getDatabaseProductName() + "\t" + meta.getDatabaseProductVersion());
            // DBeaver's navigator lists the tables and a table's columns through these
            StringBuilder tables = new StringBuilder("tables");
            try (ResultSet rs = meta.getTables(null, conn.getSchema(), "%", null)) {
                while (rs.next()) tables.append('\t').append(rs.getString("TABLE_NAME"));
            }
            System.out.println(tables);
            StringBuilder columns = new StringBuilder("columns");
            try (ResultSet rs = meta.getColumns(null, conn.getSchema(), "audit_events", "%")) {
                while (rs.next()) columns.append('\t').append(rs.getString("COLUMN_NAME"));
            }
            System.out.println(columns);
            for (int q = 3; q < args.length; q++) {
                try (Statement stmt = conn.createStatement(); ResultSet rs = stmt.executeQuery(args[q])) {
                    ResultSetMetaData cols = rs.getMetaData();
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int i = 1; i <= cols.getColumnCount(); i++) {
                            if (i > 1) row.append('\t');
                            row.append(rs.getString(i));
                        }
                        System.out.println(row);
                    }
                }
                System.out.println("--");
            }
        }
    }
}
